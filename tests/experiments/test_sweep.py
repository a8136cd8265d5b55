"""Sweeps: Ray with two local workers gives the same records as the serial path; callbacks."""
import os

import pytest

from hma_graph.experiments import registry
from hma_graph.experiments.store import RecordStore
from hma_graph.experiments.sweep import run_sweep

OVER = {"train": {"epochs": 2}, "data": {"sizes": [60, 30, 30]}}


def jobs():
    out = []
    for seed in (0, 1):
        for method in ("erm", "hma"):
            spec = {"suite": "spmotif", "dataset": "SPMotif-0.9", "method": method, "seed": seed}
            out.append((spec, registry.resolve("ood", "demo", spec, OVER)))
    return out


def metrics(records):
    return {r["name"]: (r["history"]["train_loss"], r["history"]["valid"], r["history"]["test"], r["test"],
                        r.get("extra")) for r in records}


def test_ray_with_two_workers_equals_serial(tmp_path):
    pytest.importorskip("ray")
    seen = []
    serial = run_sweep(jobs(), RecordStore(tmp_path / "serial"), serial=True, progress=False,
                       on_record=lambda r: seen.append(r["name"]))
    assert len(serial.done) == 4 and sorted(seen) == sorted(r["name"] for r in serial.done)
    on_ray = run_sweep(jobs(), RecordStore(tmp_path / "ray"), workers=2, progress=False)
    assert len(on_ray.done) == 4 and on_ray.failed == []
    assert metrics(on_ray.done) == metrics(serial.done)
    assert {r["machine"]["threads"] for r in on_ray.done} == {1}
    # Ray's default niceness for task workers is 15: they starved beside any busy process
    assert {r["machine"]["nice"] for r in on_ray.done} == {os.nice(0)}
    again = run_sweep(jobs(), RecordStore(tmp_path / "ray"), workers=2, progress=False)
    assert again.done == [] and again.existing == 4                  # resumes: nothing to do


def test_duplicate_jobs_are_refused(tmp_path):
    j = jobs()[:1]
    with pytest.raises(ValueError, match="duplicate"):
        run_sweep(j + j, RecordStore(tmp_path), serial=True, progress=False)


def test_the_library_never_needs_ray():
    import subprocess
    import sys

    code = ("import sys, hma_graph, hma_graph.train, hma_graph.experiments.run, hma_graph.experiments.registry;"
            "from hma_graph.experiments import store, report, cli;"
            "hma_graph.apply; assert 'ray' not in sys.modules, 'ray imported'")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
