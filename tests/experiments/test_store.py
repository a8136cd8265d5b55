"""The record store: identity, unusable files named, claims (live, stale, crashed), concurrency."""
import json
import os
import subprocess
import sys
import textwrap
import time

import pytest

from hma_graph.experiments import registry
from hma_graph.experiments.cli import table_records
from hma_graph.experiments.store import CorruptRecordError, RecordStore, run_name
from hma_graph.experiments.sweep import run_sweep


def job(seed=0, profile="paper", method="erm"):
    spec = {"suite": "spmotif", "dataset": "SPMotif-0.9", "method": method, "seed": seed}
    return spec, registry.resolve("ood", profile, spec)


def fake_run(config, checkpoint, options):
    return {"test": 0.5 + config["seed"] / 100, "valid": 0.5, "wall_s": 1.0, "epochs_run": 1}


def test_write_read_and_identity(tmp_path):
    store = RecordStore(tmp_path)
    spec, cfg = job()
    rec = store.write(spec, cfg, {"test": 0.5})
    path = store.path(spec, cfg)
    assert path.name == f"{run_name(spec)}.{registry.config_hash(cfg)}.json"
    assert store.get(spec, cfg) == rec and rec["identity"] == registry.config_hash(cfg)
    assert store.get(*job(profile="quick")) is None       # same spec, other protocol: not done
    old = os.umask(0o022)
    try:
        store.write(*job(1), {"test": 0.1})
    finally:
        os.umask(old)
    assert os.stat(store.path(*job(1))).st_mode & 0o777 == 0o644   # world-readable, not mkstemp's 0600


def test_unusable_files_are_named(tmp_path):
    store = RecordStore(tmp_path)
    spec, cfg = job()
    store.write(spec, cfg, {"test": 0.5})
    path = store.path(spec, cfg)
    path.write_text(path.read_text()[:100])                 # truncated by a crash
    with pytest.raises(CorruptRecordError, match=f"{path}.*unreadable"):
        store.get(spec, cfg)
    edited = store.write(*job(1), {"test": 0.4})
    edited["config"]["train"]["lr"] = 0.1
    store.path(*job(1)).write_text(json.dumps(edited))
    (tmp_path / "stray.json").write_text("[1, 2]")
    records, problems = store.scan()
    assert records == []
    why = {p.name: w for p, w in problems}
    assert "unreadable" in why[path.name] and "identity does not match" in why[store.path(*job(1)).name]
    assert why["stray.json"] == "not a record (a JSON list)"


def test_claims_live_crashed_and_stale(tmp_path):
    store = RecordStore(tmp_path, heartbeat_s=0.05, stale_s=60)
    spec, cfg = job()
    claim = store.claim(spec, cfg)
    assert claim is not None and store.claim(spec, cfg) is None     # held by a live worker
    before = claim.path.stat().st_mtime
    time.sleep(0.3)
    assert claim.path.stat().st_mtime > before                      # heartbeat
    claim.release()
    assert not claim.path.exists()
    # a crashed worker on this host: its pid is gone
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    info = {"host": os.uname().nodename, "pid": dead.pid, "token": "x"}
    c = store.claim(spec, cfg)
    c.release()
    c.path.write_text(json.dumps(info))
    taken = store.claim(spec, cfg)
    assert taken is not None
    taken.release()
    # a worker elsewhere that stopped touching its claim
    c.path.write_text(json.dumps({**info, "host": "elsewhere", "pid": 1}))
    assert store.claim(spec, cfg) is None                            # recent: still live
    os.utime(c.path, (time.time() - 120, time.time() - 120))
    assert store.claim(spec, cfg) is not None                        # older than stale_s: taken over
    store.write(spec, cfg, {"test": 1.0})
    assert store.claim(spec, cfg) is None                            # finished


def test_orphan_temp_files_are_cleaned(tmp_path):
    store = RecordStore(tmp_path)
    old, new = tmp_path / ".a.json.x1.part", tmp_path / ".b.json.x2.part"
    old.write_text("x")
    new.write_text("y")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.clean() == [old] and new.exists()


def test_other_protocols_are_neither_done_nor_shown(tmp_path):
    store = RecordStore(tmp_path)
    store.write(*job(0, "quick"), {"test": 0.9})
    done = run_sweep([job(0, "paper")], store, serial=True, run_fn=fake_run, progress=False)
    assert len(done.done) == 1 and done.existing == 0                # not skipped as done
    records, notes = table_records(store, "ood", "paper")
    assert [r["test"] for r in records] == [0.5]                      # the quick record is not shown
    assert notes == ["- 1 record(s) of other protocols in this folder are not shown."]


def test_corrupt_records_stop_the_sweep_unless_redone(tmp_path):
    store = RecordStore(tmp_path)
    jobs = [job(0), job(1)]
    run_sweep(jobs, store, serial=True, run_fn=fake_run, progress=False)
    bad = store.path(*jobs[1])
    bad.write_text("{")
    with pytest.raises(CorruptRecordError, match=f"(?s){bad}.*redo-corrupt"):
        run_sweep(jobs, store, serial=True, run_fn=fake_run, progress=False)
    res = run_sweep(jobs, store, serial=True, run_fn=fake_run, progress=False, redo_corrupt=True)
    assert len(res.done) == 1 and res.existing == 1
    assert (tmp_path / f"{bad.name}.corrupt").read_text() == "{" and store.get(*jobs[1])["test"] == 0.51


WORKER = textwrap.dedent("""
    import os, sys, time
    from hma_graph.experiments import registry
    from hma_graph.experiments.store import RecordStore
    from hma_graph.experiments.sweep import run_sweep

    folder, log = sys.argv[1], sys.argv[2]

    def run(config, checkpoint, options):
        with open(log, "a") as f:
            f.write(f"{config['seed']} {os.getpid()}\\n")
        time.sleep(0.2)
        return {"test": 0.5}

    jobs = []
    for seed in range(8):
        spec = {"suite": "spmotif", "dataset": "SPMotif-0.9", "method": "erm", "seed": seed}
        jobs.append((spec, registry.resolve("ood", "paper", spec)))
    res = run_sweep(jobs, RecordStore(folder), serial=True, run_fn=run, progress=False)
    print(len(res.done), len(res.skipped), res.existing)
""")


def test_two_workers_on_one_folder_run_each_spec_once(tmp_path):
    log = tmp_path / "executions.log"
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(tmp_path / "out"), str(log)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    runs = [line.split() for line in log.read_text().splitlines()]
    seeds = sorted(int(s) for s, _ in runs)
    print("executions per seed:", {s: seeds.count(s) for s in range(8)},
          "per worker (done, skipped, already done):", outs)
    assert seeds == list(range(8))                                # every spec exactly once
    assert sum(int(o[0]) for o in outs) == 8
    assert len(list((tmp_path / "out").glob("*.json"))) == 8


def test_an_unwritable_folder_fails_before_any_run(tmp_path):
    (tmp_path / "file").write_text("x")
    calls = []
    with pytest.raises(OSError, match="cannot write to .*file/out.*--out"):
        run_sweep([job()], RecordStore(tmp_path / "file" / "out"), serial=True, progress=False,
                  run_fn=lambda *a: calls.append(a) or {})
    assert calls == []
