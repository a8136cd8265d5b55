"""benchmarks/ood.py: the pure table / timing functions on hand-made records, and tiny end-to-end
sweeps of each suite (records, resumption without re-running, TABLE.md); plus the main job."""
import json
import pickle
import statistics
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from benchmarks import ood  # noqa: E402


@pytest.fixture(autouse=True)
def _restore_threads():
    """The scripts set torch's thread count; give the other tests theirs back."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


# --------------------------------------------------------------------------- hand-made records
def rec(method, dataset, seed, test, wall=10.0, epochs=10, batch=None):
    r = {"spec": {"suite": "tu", "dataset": dataset, "method": method, "seed": seed}, "test": test,
         "wall_s": wall, "epochs_run": epochs}
    if batch is not None:
        r["test_batch_inference"] = batch
    return r


RECORDS = [
    rec("erm", "NCI1", 0, 0.10, wall=10, epochs=10), rec("erm", "NCI1", 1, 0.20, wall=20, epochs=10),
    rec("erm", "NCI1", 2, 0.30, wall=30, epochs=30),
    rec("hma", "NCI1", 0, 0.40, wall=30, epochs=10, batch=0.1),
    rec("hma", "NCI1", 1, 0.50, wall=40, epochs=20, batch=0.2),
    rec("hma", "NCI1", 2, 0.60, wall=150, epochs=30, batch=0.3),
    rec("hma", "DD", 0, 0.25, wall=99, epochs=10, batch=0.3),       # DD has no ERM run: no pair
    rec("erm", "DD", 5, 0.35, wall=1, epochs=1),                    # ... and this seed no HMA run
]


def test_scores_mean_and_sample_std_over_seeds():
    s = ood.scores(RECORDS)
    assert s[("erm", "NCI1")]["n"] == 3
    assert s[("erm", "NCI1")]["mean"] == pytest.approx(0.2)
    assert s[("erm", "NCI1")]["std"] == pytest.approx(statistics.stdev([0.1, 0.2, 0.3]))
    assert s[("hma", "DD")]["std"] == 0.0 and s[("hma", "DD")]["n"] == 1
    b = ood.scores(RECORDS, value="test_batch_inference")
    assert set(b) == {("hma", "NCI1"), ("hma", "DD")}
    assert b[("hma", "NCI1")]["mean"] == pytest.approx(0.2) and b[("hma", "NCI1")]["n"] == 3


def test_relative_time_pairs_same_dataset_and_seed():
    t = ood.relative_time(RECORDS)
    # pairs (NCI1, 0): 30/10 = 3, (NCI1, 1): 40/20 = 2, (NCI1, 2): 150/30 = 5 -> median 3 (mean
    # would be 3.33); the DD runs have no partner
    assert t["hma"]["pairs"] == 3 and t["hma"]["run"] == pytest.approx(3.0)
    # per epoch: (30/10)/(10/10) = 3, (40/20)/(20/10) = 1, (150/30)/(30/30) = 5 -> median 3
    assert t["hma"]["epoch"] == pytest.approx(3.0)
    assert t["erm"] == {"run": 1.0, "epoch": 1.0, "pairs": 4}
    assert "cigav1" not in t


def _cells(table, label):
    line = next(l for l in table.splitlines() if l.startswith(f"| {label} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_render_table_mcc_with_paper_numbers():
    paper = {"rows": {"ERM": {"NCI1": [0.15, 0.03], "DD": [0.29, 0.1]}, "HMA": {"NCI1": [0.19, 0.05]}}}
    text = ood.render_table(RECORDS, ["NCI1", "DD"], "mcc", paper, caption="CAPTION")
    assert text.startswith("CAPTION\n\n")
    header = _cells(text, "method")
    assert header[1:5] == ["NCI1 (ours)", "NCI1 (paper)", "DD (ours)", "DD (paper)"]
    erm = _cells(text, "ERM")
    sd = statistics.stdev([0.1, 0.2, 0.3])
    assert erm[1] == f"0.200 ± {sd:.3f} (3)" and erm[2] == "0.15 ± 0.03"
    assert erm[3] == "0.350 ± 0.000 (1)" and erm[4] == "0.29 ± 0.10"
    assert erm[5] == f"{(0.2 + 0.35) / 2:.3f}" and erm[6] == f"{(0.15 + 0.29) / 2:.3f}"
    assert erm[7:] == ["1.00x", "1.00x"]
    hma = _cells(text, "HMA")
    assert hma[2] == "0.19 ± 0.05" and hma[4] == "-"          # the paper has no HMA DD number here
    assert hma[6] == "-"                                       # paper average needs every dataset
    assert hma[1] == f"0.500 ± {statistics.stdev([0.4, 0.5, 0.6]):.3f} (3)"
    assert hma[7:] == ["3.00x", "3.00x"]
    batch = _cells(text, ood.BATCH_ROW)
    assert batch[1] == f"0.200 ± {statistics.stdev([0.1, 0.2, 0.3]):.3f} (3)" and batch[7:] == ["-", "-"]
    # rows follow the method order, HMA's batch-inference row last
    labels = [l.split("|")[1].strip() for l in text.splitlines() if l.startswith("| ") and "---" not in l]
    assert labels == ["method", "ERM", "HMA", ood.BATCH_ROW]


def test_render_table_accuracy_in_percent_without_paper():
    recs = [rec("erm", "SPMotif-0.9", s, v) for s, v in enumerate([0.5, 0.7])]
    text = ood.render_table(recs, ["SPMotif-0.9"], "accuracy", None)
    assert _cells(text, "method") == ["method", "SPMotif-0.9 (ours)", "time/run vs ERM", "time/epoch vs ERM"]
    assert _cells(text, "ERM")[1] == f"60.00 ± {100 * statistics.stdev([0.5, 0.7]):.2f} (2)"


def test_dataset_names_and_errors():
    assert ood.spmotif_bias("SPMotif-0.33") == pytest.approx(0.33)
    for bad in ("spmotif-0.9", "SPMotif-x", "SPMotif-1.5"):
        with pytest.raises(ValueError, match="Spurious-Motif"):
            ood.spmotif_bias(bad)
    with pytest.raises(ValueError, match="unknown dataset 'MUTAG'"):
        ood.check_datasets("tu", ["MUTAG"])
    with pytest.raises(ValueError, match="unknown method"):
        ood.build_method("dir", "tu", "NCI1", 3, 2)
    assert ood.ciga_config("spmotif", "SPMotif-0.9", "v2") == {"ratio": 0.25, "alpha": 4.0, "beta": 2.0}
    assert ood.ciga_config("tu", "NCI109", "v1") == {"ratio": 0.7, "alpha": 2.0}
    assert ood.backbone_config("tu", "PROTEINS")["conv"] == "gin"
    assert ood.backbone_config("tu", "DD")["conv"] == "gcn"


# --------------------------------------------------------------------------- end-to-end sweeps
def _check_sweep(out, methods, dataset, seeds, monkeypatch, argv):
    files = sorted(out.glob("*.json"))
    assert len(files) == len(methods) * len(seeds)
    for f in files:
        r = json.loads(f.read_text())
        assert r["status"] == "done" and r["spec"]["dataset"] == dataset
        h = r["history"]
        n = r["epochs_run"]
        assert len(h["valid"]) == len(h["test"]) == len(h["epoch_s"]) == len(h["eval_s"]) == n
        assert all(len(v) == n for v in h["train_logs"].values()) and "loss" in h["train_logs"]
        assert r["test"] == h["test"][r["selected_epoch"]] and r["wall_s"] > 0
        assert r["config"]["objective"] == ("erm" if r["spec"]["method"] == "hma" else r["spec"]["method"])
        if r["spec"]["method"] == "hma":
            assert 0.0 <= abs(r["test_batch_inference"]) <= 1.0 and "hma" in r["config"]
    table = (out / "TABLE.md").read_text()
    assert f"{dataset} (ours)" in table
    for m in methods:
        assert f"| {ood.LABELS[m]} |" in table
    # resumption: nothing re-runs, records stay as they were
    before = {f.name: f.read_text() for f in files}

    def boom(*a, **k):
        raise AssertionError("a finished run was started again")

    monkeypatch.setattr(ood, "run_one", boom)
    ood.main(argv)
    assert {f.name: f.read_text() for f in sorted(out.glob("*.json"))} == before
    return [json.loads(f.read_text()) for f in files]


def test_tu_sweep_proteins(mirror, tmp_path, monkeypatch):
    out = tmp_path / "tu"
    argv = ["--suite", "tu", "--profile", "quick", "--datasets", "PROTEINS", "--methods", "erm", "hma",
            "--seeds", "0", "--epochs", "2", "--out", str(out), "--no-progress"]
    ood.main(argv)
    recs = _check_sweep(out, ["erm", "hma"], "PROTEINS", [0], monkeypatch, argv)
    r = recs[0]
    assert r["metric"] == "mcc" and r["config"]["backbone"]["readout"] == "max"
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
            "--no-progress"]
    with pytest.raises(SystemExit):
        ood.main(argv)
    err = capsys.readouterr().err
    for suffix in ood.SENTIGRAPH_FILES:
        assert f"Graph-Twitter_{suffix}" in err
    write_sentigraph(raw, "Graph-Twitter")
    ood.main(argv)
    recs = _check_sweep(tmp_path / "sst", ["erm", "cigav1"], "Graph-Twitter", [0], monkeypatch, argv)
    cfg = {r["spec"]["method"]: r["config"] for r in recs}
    assert cfg["erm"]["self_loops"] and cfg["erm"]["backbone"]["hidden"] == 128
    assert cfg["cigav1"]["ratio"] == 0.6 and cfg["cigav1"]["objective_hparams"] == {"alpha": 8.0}
    assert "63.54 ± 2.10" in (tmp_path / "sst" / "TABLE.md").read_text()


def test_spmotif_sweep_quick(tmp_path, monkeypatch):
    out = tmp_path / "spm"
    argv = ["--suite", "spmotif", "--profile", "quick", "--methods", "erm", "cigav2", "hma", "--seeds", "0",
            "--epochs", "1", "--out", str(out), "--no-progress"]
    ood.main(argv)
    recs = _check_sweep(out, ["erm", "cigav2", "hma"], "SPMotif-0.9", [0], monkeypatch, argv)
    r = {x["spec"]["method"]: x for x in recs}
    assert r["erm"]["sizes"] == {"train": 800, "valid": 400, "test": 400}
    assert {"hinge", "contrast", "ce"} <= set(r["cigav2"]["history"]["train_logs"])
    assert "time/run vs ERM" in (out / "TABLE.md").read_text()


def test_main_job_smoke(capsys):
    from hma_graph.examples import ood_quick

    rows = ood_quick.main(["--seeds", "0", "1", "--epochs", "1", "--n-train", "60", "--n-eval", "30",
                           "--no-progress"])
    names = [r["method"] for r in rows]
    assert names == ["ERM", "IRM", "V-REx", "CIGAv1", "HMA", ood_quick.BATCH_ROW]
    assert rows[0]["time_vs_erm"] == 1.0 and all(len(r["test"]) == 2 for r in rows)
    assert "| HMA |" in capsys.readouterr().out
