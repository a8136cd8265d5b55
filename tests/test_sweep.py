"""Sweeps: naming, atomic records, resumption without redoing runs, aggregation by hand."""
import json
import math

import pytest

from hma_graph.sweep import aggregate, load_records, record_path, run_name, run_sweep


def test_run_name_is_sorted_and_safe():
    assert run_name({"seed": 1, "dataset": "ogbg-molbace", "variant": "abd+syn"}) == \
        "dataset=ogbg-molbace__seed=1__variant=abd+syn"
    assert run_name({"a": 2.0, "b": "x/y z"}) == "a=2__b=x-y-z"
    with pytest.raises(ValueError):
        run_name({})


def test_sweep_resumes_without_redoing_finished_runs(tmp_path):
    calls = []

    def run(spec):
        calls.append(spec["seed"])
        if spec["seed"] == 2 and len(calls) == 3:
            raise KeyboardInterrupt  # interrupted in the middle of the third run
        return {"test": 0.5 + spec["seed"]}

    specs = [{"m": "erm", "seed": s} for s in range(4)]
    with pytest.raises(KeyboardInterrupt):
        run_sweep(specs, run, tmp_path, progress=False)
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["m=erm__seed=0.json", "m=erm__seed=1.json"]
    assert not list(tmp_path.glob(".*tmp")), "no partial files left behind"
    # a corrupt record (e.g. truncated by a crash of another tool) is redone, not trusted
    record_path(tmp_path, specs[1]).write_text('{"status": "do')
    recs = run_sweep(specs, run, tmp_path, progress=False)
    assert calls == [0, 1, 2, 1, 2, 3]
    assert [r["test"] for r in recs] == [0.5, 1.5, 2.5, 3.5]
    run_sweep(specs, run, tmp_path, progress=False)
    assert calls == [0, 1, 2, 1, 2, 3], "finished runs are never redone"
    assert json.loads(record_path(tmp_path, specs[3]).read_text())["spec"] == specs[3]
    with pytest.raises(ValueError, match="duplicate"):
        run_sweep(specs + specs[:1], run, tmp_path, progress=False)


def test_aggregate_by_hand(tmp_path):
    recs = [{"spec": {"m": "erm", "seed": s}, "test": v} for s, v in [(0, 0.1), (1, 0.3), (2, 0.2)]]
    recs += [{"spec": {"m": "hma", "seed": 0}, "test": 0.4}]
    agg = aggregate(recs)
    erm = agg[(("m", "erm"),)]
    assert erm["seeds"] == [0, 1, 2] and erm["n"] == 3
    assert erm["mean"] == pytest.approx(0.2) and erm["std"] == pytest.approx(0.1)
    assert agg[(("m", "hma"),)]["std"] == 0.0
    with pytest.raises(ValueError, match="twice"):
        aggregate(recs + recs[:1])
    assert math.isclose(sum(r["test"] for r in recs), 1.0)
    assert load_records(tmp_path) == []
