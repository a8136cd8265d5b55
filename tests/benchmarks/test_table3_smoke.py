"""benchmarks/table3.py end to end (quick profile, serial): records, resumption, protocols kept
apart, TABLE.md and PAIRED.png; the table logic is tested in tests/experiments/test_table3_report.py."""
import json
import runpy
from pathlib import Path

import pytest

import hma_graph.experiments.run as run_module
from hma_graph.experiments import registry
from hma_graph.experiments.datasets import DataMissingError, load_data

ROOT = Path(__file__).resolve().parents[2]
T3 = runpy.run_path(str(ROOT / "benchmarks" / "table3.py"))




def test_missing_data_is_a_clear_error(monkeypatch):
    import hma_graph.data.molecules as molecules
    import hma_graph.experiments.datasets as datasets

    def unreachable(name, root=None, rebuild=False):
        raise RuntimeError("could not download https://example.invalid/BBBP.csv")

    monkeypatch.setattr(molecules, "load_molecule_dataset", unreachable)
    datasets._molecules.cache_clear()
    cfg = registry.resolve("table3", "quick", {"dataset": "ogbg-molbbbp", "epochs": 1, "model": "gin",
                                               "variant": "plain", "seed": 0})
    with pytest.raises(DataMissingError, match="ogbg-molbbbp.*HMA_GRAPH_MIRROR.*moleculenet/BBBP.csv"):
        load_data(cfg)
    datasets._molecules.cache_clear()


def test_quick_sweep_end_to_end(mirror, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    argv = ["--profile", "quick", "--datasets", "bace", "--models", "gin", "--variants", "plain", "hma",
            "--seeds", "0", "--out", str(out), "--threads", "1", "--no-progress", "--serial"]
    calls = []
    real = run_module.run_spec
    monkeypatch.setattr(run_module, "run_spec", lambda cfg, **k: calls.append(cfg) or real(cfg, **k))
    table = T3["main"](argv)
    assert len(calls) == 2
    paths = sorted(out.glob("*.json"))
    assert [p.name.rsplit(".", 2)[0] for p in paths] == [
        "dataset=ogbg-molbace__epochs=2__model=gin__seed=0__variant=hma",
        "dataset=ogbg-molbace__epochs=2__model=gin__seed=0__variant=plain"]
    recs = {json.loads(p.read_text())["spec"]["variant"]: json.loads(p.read_text()) for p in paths}
    for r in recs.values():
        assert r["status"] == "done" and len(r["history"]["valid"]) == 2
        assert r["test"] == r["history"]["test"][r["selected_epoch"]]
        assert 0.0 <= r["test"] <= 1.0 and r["sizes"]["train"] == 256
    assert recs["plain"]["config"]["hma"] is None and recs["hma"]["config"]["hma"]["slots_per_class"] == 8
    assert "test_batch" in recs["hma"]["extra"] and "extra" not in recs["plain"]
    assert not list(out.glob(".partial/*"))  # no resume state is left behind by finished runs
    assert not list((out / ".claims").glob("*.claim"))
    assert (out / "PAIRED.png").stat().st_size > 0
    assert table == (out / "TABLE.md").read_text() and "| GIN+HMA |" in table and "GIN+HMA − GIN" in table

    # resuming: nothing is re-run, records untouched
    mtimes = [p.stat().st_mtime_ns for p in paths]
    T3["main"](argv)
    assert len(calls) == 2 and [p.stat().st_mtime_ns for p in paths] == mtimes
    # an invocation for a slice (plain only) still writes the table of every record of the protocol
    slice_argv = argv[:argv.index("--variants") + 1] + ["plain"] + argv[argv.index("hma") + 1:]
    T3["main"](slice_argv)
    assert len(calls) == 2 and (out / "TABLE.md").read_text() == table
    # another protocol into the same folder: the HMA run is new (its identity differs), the plain
    # run's config does not depend on the inference mode and stays done; tables never mix them
    batch_table = T3["main"](argv + ["--inference", "batch"])
    assert len(calls) == 3 and calls[-1]["hma"]["inference"] == "batch"
    assert len(list(out.glob("*.json"))) == 3
    assert "main number with HMA inference mode: batch" in batch_table
    assert "1 record(s) of other protocols in this folder are not shown" in batch_table
    assert "main number with HMA inference mode: isolated" in T3["main"](argv + ["--table-only"])
    # the same seed repeats exactly on CPU
    again = real(recs["plain"]["config"])
    assert again["history"]["valid"] == recs["plain"]["history"]["valid"]
    assert again["history"]["train_loss"] == recs["plain"]["history"]["train_loss"]


def test_hma_lr_variant_runs_hma_with_a_slower_hma_layer(mirror):
    spec = {"dataset": "ogbg-molbace", "epochs": 1, "model": "gin", "seed": 0}
    slow_cfg = registry.resolve("table3", "quick", {**spec, "variant": "hma-lr0.1"})
    base_cfg = registry.resolve("table3", "quick", {**spec, "variant": "hma"})
    slow, base = run_module.run_spec(slow_cfg), run_module.run_spec(base_cfg)
    assert slow_cfg["train"]["hma_lr"] == pytest.approx(0.1 * slow_cfg["train"]["lr"])
    assert base_cfg["train"]["hma_lr"] is None
    assert slow["params"] == base["params"]  # same model, other step size
    assert "test_batch" in slow["extra"]
    assert slow["history"]["train_loss"] != base["history"]["train_loss"]


def test_cli_errors(capsys):
    for argv, msg in ((["--datasets", "tox21"], "unknown data set 'tox21'"),
                      (["--epochs", "0"], "--epochs must be >= 1"),
                      (["--seeds", "0", "0"], "--seeds has duplicates")):
        with pytest.raises(SystemExit):
            T3["main"](argv)
        assert msg in capsys.readouterr().err


def test_data_parallel_runs_under_torchrun(mirror, tmp_path):
    """--nproc-per-node 2: the command re-runs itself under torchrun (gloo), both ranks train each
    run together on their halves of every batch, and rank 0 writes one record per run."""
    import subprocess
    import sys

    out = tmp_path / "ddp"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "table3.py"), "--profile", "quick", "--datasets", "bace",
                    "--models", "gin", "--variants", "hma", "--seeds", "0", "--epochs", "1", "--nproc-per-node", "2",
                    "--out", str(out), "--no-progress"], check=True, capture_output=True)
    recs = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert len(recs) == 1 and recs[0]["machine"]["world_size"] == 2
    assert recs[0]["sizes"]["train"] == 256 and len(recs[0]["history"]["valid"]) == 1
    assert "| GIN+HMA |" in (out / "TABLE.md").read_text()
