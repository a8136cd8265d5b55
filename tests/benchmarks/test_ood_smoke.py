"""benchmarks/ood.py end to end: tiny serial sweeps of each suite (records, resumption without
re-running, TABLE.md), clear errors; plus the main job. The table logic itself is tested on
hand-made records in tests/experiments/test_ood_report.py."""
import json
import pickle
import runpy
from pathlib import Path

import numpy as np
import pytest

import hma_graph.experiments.run as run_module
from hma_graph.experiments.datasets import SENTIGRAPH_FILES
from hma_graph.experiments.ood_spec import LABELS

ROOT = Path(__file__).resolve().parents[2]
OOD = runpy.run_path(str(ROOT / "benchmarks" / "ood.py"))




def _check_sweep(out, methods, dataset, seeds, monkeypatch, argv):
    files = sorted(out.glob("*.json"))
    assert len(files) == len(methods) * len(seeds)
    for f in files:
        r = json.loads(f.read_text())
        assert r["status"] == "done" and r["spec"]["dataset"] == dataset
        assert f.name == f"{r['name']}.{r['identity']}.json"
        h = r["history"]
        n = r["epochs_run"]
        assert len(h["valid"]) == len(h["test"]) == len(h["epoch_s"]) == len(h["eval_s"]) == n
        assert all(len(v) == n for v in h["train_logs"].values()) and "loss" in h["train_logs"]
        assert r["test"] == h["test"][r["selected_epoch"]] and r["wall_s"] > 0
        assert r["config"]["objective"]["name"] == ("erm" if r["spec"]["method"] == "hma" else r["spec"]["method"])
        if r["spec"]["method"] == "hma":
            assert 0.0 <= abs(r["extra"]["test_batch"]) <= 1.0 and r["config"]["hma"] is not None
    table = (out / "TABLE.md").read_text()
    assert f"{dataset} (ours)" in table
    for m in methods:
        assert f"| {LABELS[m]} |" in table
    # resumption: nothing re-runs, records stay as they were
    before = {f.name: f.read_text() for f in files}

    def boom(*a, **k):
        raise AssertionError("a finished run was started again")

    monkeypatch.setattr(run_module, "run_spec", boom)
    OOD["main"](argv)
    assert {f.name: f.read_text() for f in sorted(out.glob("*.json"))} == before
    return [json.loads(f.read_text()) for f in files]


def test_tu_sweep_proteins(mirror, tmp_path, monkeypatch):
    out = tmp_path / "tu"
    argv = ["--suite", "tu", "--profile", "quick", "--datasets", "PROTEINS", "--methods", "erm", "hma",
            "--seeds", "0", "--epochs", "2", "--out", str(out), "--no-progress", "--serial"]
    OOD["main"](argv)
    recs = _check_sweep(out, ["erm", "hma"], "PROTEINS", [0], monkeypatch, argv)
    r = recs[0]
    assert r["metric"] == "mcc" and r["config"]["model"]["readout"] == "max"
    assert r["config"]["train"]["epochs"] == 2
    assert r["sizes"]["train"] + r["sizes"]["valid"] in (566, 567, 568) and r["in_dim"] == 3
    assert "0.19 ± 0.07" in (out / "TABLE.md").read_text()    # the paper's ERM PROTEINS number


def write_sentigraph(raw_dir, name, num_graphs=45, feat_dim=768, seed=0):
    """DIG raw files: path graphs of 3..11 nodes (average degree grows with size), random features."""
    rng = np.random.default_rng(seed)
    sizes = [3 + i % 9 for i in range(num_graphs)]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    x = rng.random((offsets[-1], feat_dim), dtype=np.float32)
    with open(raw_dir / f"{name}_node_features.pkl", "wb") as f:
        pickle.dump(x, f)
    edges = [(offsets[g] + k, offsets[g] + k + 1) for g, n in enumerate(sizes) for k in range(n - 1)]
    (raw_dir / f"{name}_edge_index.txt").write_text("".join(f"{u} {v}\n" for u, v in edges))
    (raw_dir / f"{name}_node_indicator.txt").write_text("".join(f"{g + 1}\n" for g, n in enumerate(sizes)
                                                                for _ in range(n)))
    (raw_dir / f"{name}_graph_labels.txt").write_text("".join(f"{i % 3}\n" for i in range(num_graphs)))


def test_sst_sweep_on_generated_files(tmp_path, monkeypatch, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    # missing files: a clear error naming every missing file
    argv = ["--suite", "sst", "--profile", "quick", "--datasets", "Graph-Twitter", "--methods", "erm",
            "cigav1", "--seeds", "0", "--epochs", "1", "--raw-dir", str(raw), "--out", str(tmp_path / "sst"),
            "--no-progress", "--serial"]
    with pytest.raises(SystemExit):
        OOD["main"](argv)
    err = capsys.readouterr().err
    for suffix in SENTIGRAPH_FILES:
        assert f"Graph-Twitter_{suffix}" in err
    write_sentigraph(raw, "Graph-Twitter")
    OOD["main"](argv)
    recs = _check_sweep(tmp_path / "sst", ["erm", "cigav1"], "Graph-Twitter", [0], monkeypatch, argv)
    cfg = {r["spec"]["method"]: r["config"] for r in recs}
    assert cfg["erm"]["data"]["self_loops"] and cfg["erm"]["model"]["hidden"] == 128
    assert cfg["cigav1"]["model"]["ratio"] == 0.6 and cfg["cigav1"]["objective"]["hparams"] == {"alpha": 8.0}
    assert "63.54 ± 2.10" in (tmp_path / "sst" / "TABLE.md").read_text()


def test_spmotif_sweep_quick(tmp_path, monkeypatch):
    out = tmp_path / "spm"
    argv = ["--suite", "spmotif", "--datasets", "SPMotif-0.9", "--profile", "quick", "--methods", "erm", "cigav2",
            "hma", "--seeds", "0", "--epochs", "1", "--out", str(out), "--no-progress", "--serial"]
    OOD["main"](argv)
    recs = _check_sweep(out, ["erm", "cigav2", "hma"], "SPMotif-0.9", [0], monkeypatch, argv)
    r = {x["spec"]["method"]: x for x in recs}
    assert r["erm"]["sizes"] == {"train": 800, "valid": 400, "test": 400}
    assert {"hinge", "contrast", "ce"} <= set(r["cigav2"]["history"]["train_logs"])
    assert "time/run vs ERM" in (out / "TABLE.md").read_text()


def test_cli_errors(capsys):
    for argv, msg in ((["--suite", "tu", "--datasets", "MUTAG"], "unknown dataset 'MUTAG'"),
                      (["--suite", "spmotif", "--datasets", "SPMotif-x"], "Spurious-Motif"),
                      (["--suite", "tu", "--methods", "dro"], "invalid choice: 'dro'"),
                      (["--suite", "tu", "--epochs", "0"], "--epochs must be >= 1")):
        with pytest.raises(SystemExit):
            OOD["main"](argv)
        assert msg in capsys.readouterr().err


def test_main_job_smoke(capsys):
    from hma_graph.examples import ood_quick

    rows = ood_quick.main(["--seeds", "0", "1", "--epochs", "1", "--n-train", "60", "--n-eval", "30",
                           "--no-progress", "--serial", "--methods", *ood_quick.METHODS])
    names = [r["method"] for r in rows]
    assert names == ["ERM", "IRM", "V-REx", "CIGAv1", "HMA", ood_quick.BATCH_ROW]
    assert rows[0]["time_vs_erm"] == 1.0 and all(len(r["test"]) == 2 for r in rows)
    out = capsys.readouterr().out
    assert "| HMA |" in out and "[10/10] seed 1 HMA" in out and "| HMA − ERM |" in out
    assert "How to read this" in out
    assert ood_quick.DEFAULT_METHODS == ("ERM", "CIGAv1", "HMA")
