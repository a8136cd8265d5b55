"""benchmarks/table3.py: table/pairing logic on hand-made records, and a quick end-to-end sweep."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import benchmarks.table3 as table3  # noqa: E402

PAPER = {"GIN": {"ogbg-molbace": [72.97, 4.0], "ogbg-molbbbp": [68.17, 1.48]},
         "GIN+HMA": {"ogbg-molbace": [77.18, 2.2]}}


def rec(dataset, model, variant, seed, test, extra=None, epochs=100, inference="isolated"):
    return {"spec": {"dataset": dataset, "epochs": epochs, "model": model, "variant": variant, "seed": seed},
            "test": test, "extra": extra or {}, "status": "done",
            "config": {"profile": "paper", "inference": inference, "num_layers": 5, "emb_dim": 300,
                       "drop_ratio": 0.5, "batch_size": 32, "lr": 0.001, "train_limit": None,
                       "label_dim": 16, "memory_size": 96, "slots_per_class": 32}}


def hand_records():
    b, p = "ogbg-molbace", "ogbg-molbbbp"
    return [rec(b, "gin", "plain", 0, 0.70), rec(b, "gin", "plain", 1, 0.72), rec(b, "gin", "plain", 2, 0.74),
            rec(b, "gin", "hma", 0, 0.75, {"test_batch": 0.76}),
            rec(b, "gin", "hma", 1, 0.71, {"test_batch": 0.70}),
            rec(p, "gin", "plain", 0, 0.65)]


def test_names():
    assert table3.row_label("gin-v", "hma") == "GIN-v+HMA"
    assert table3.row_label("gcn", "plain") == "GCN"
    assert table3.row_label("gin", "abd+syn") == "GIN+ABD+SYN"
    assert table3.row_label("gin", "hma-lr0.1") == "GIN+HMA (HMA lr x0.1)"
    assert table3.library_variant("hma-lr0.1") == ("hma", 0.1)
    assert table3.library_variant("abd") == ("abd", None)
    assert [table3.dataset_name(x) for x in ("bace", "molbbbp", "ogbg-molhiv")] == \
        ["ogbg-molbace", "ogbg-molbbbp", "ogbg-molhiv"]
    with pytest.raises(ValueError, match="unknown data set"):
        table3.dataset_name("tox21")


def test_cells_and_pairing_by_hand():
    cells = table3.collect(hand_records())
    assert cells[("ogbg-molbace", "gin", "hma")] == {0: 0.75, 1: 0.71}
    # mean 72, sample std of (70, 72, 74) = 2
    assert table3.format_cell(cells[("ogbg-molbace", "gin", "plain")]) == "72.00 ± 2.00 (n=3)"
    # (75, 71): mean 73, std sqrt(8) = 2.83
    assert table3.format_cell(cells[("ogbg-molbace", "gin", "hma")]) == "73.00 ± 2.83 (n=2)"
    assert table3.format_cell({0: 0.65}) == "65.00 (n=1)"
    assert table3.format_cell(None) == "-"
    d = table3.paired_differences(cells[("ogbg-molbace", "gin", "hma")], cells[("ogbg-molbace", "gin", "plain")])
    assert d["seeds"] == [0, 1] and d["diffs"] == pytest.approx([5.0, -1.0])
    assert d["mean"] == pytest.approx(2.0) and d["wins"] == 1 and d["n"] == 2
    assert table3.format_diff(d) == "+2.00 (1/2 seeds up)"
    assert table3.paired_differences({3: 0.5}, {0: 0.4}) is None
    assert table3.format_diff(None) == "-"
    other = table3.collect(hand_records(), "extra.test_batch")
    assert other == {("ogbg-molbace", "gin", "hma"): {0: 0.76, 1: 0.70}}


def test_tables_exact():
    cells = table3.collect(hand_records())
    other = table3.collect(hand_records(), "extra.test_batch")
    ds = ["ogbg-molbace", "ogbg-molbbbp"]
    assert table3.main_table(cells, PAPER, ds, ["gin"], ["plain", "hma"]).splitlines() == [
        "| model | bace ours | bace paper | bbbp ours | bbbp paper | avg ours | avg paper |",
        "|---|---|---|---|---|---|---|",
        "| GIN | 72.00 ± 2.00 (n=3) | 72.97 ± 4.00 | 65.00 (n=1) | 68.17 ± 1.48 | 68.50 | 70.57 |",
        "| GIN+HMA | 73.00 ± 2.83 (n=2) | 77.18 ± 2.20 | - | - | - | - |",
    ]
    assert table3.diff_table(cells, PAPER, ds, ["gin"], ["plain", "hma"], other, "batch").splitlines() == [
        "| comparison | bace ours | bace paper | bbbp ours | bbbp paper |",
        "|---|---|---|---|---|",
        "| GIN+HMA − GIN | +2.00 (1/2 seeds up) | +4.21 | - | - |",
        # batch: (76 - 70, 70 - 72) = (+6, -2)
        "| GIN+HMA [batch inference] − GIN | +2.00 (1/2 seeds up) | +4.21 | - | - |",
    ]
    text = table3.render_tables(hand_records(), PAPER)
    assert "main number with HMA inference mode: isolated" in text
    assert "epochs: bace 100; bbbp 100" in text and "seeds 0, 1, 2" in text
    assert "| GIN+HMA | 73.00 ± 4.24 (n=2) | 77.18 ± 2.20 |" in text  # batch-mode table: (76, 70)


def test_paired_plot_draws_each_seeds_difference(tmp_path):
    cells = table3.collect(hand_records())
    ds = ["ogbg-molbace", "ogbg-molbbbp"]
    rows = table3.paired_rows(cells, PAPER, ds, ["gin"], ["plain", "hma"])
    assert [t for t, _ in rows] == ["GIN+HMA − GIN"]
    ours, paper = rows[0][1]["ogbg-molbace"]
    assert ours["seeds"] == [0, 1] and paper == pytest.approx(77.18 - 72.97)
    assert rows[0][1]["ogbg-molbbbp"] == (None, None)
    fig = table3.plot_paired(rows, ds, tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0 and not list(tmp_path.glob(".*tmp*"))
    bace = fig.axes[0]
    dots = [c.get_offsets() for c in bace.collections if len(c.get_offsets())]
    # hand: seed 0: 75 - 70 = +5, seed 1: 71 - 72 = -1 (points); the paper's cross at +4.21
    assert sorted(round(float(x), 6) for o in dots for x in o[:, 0]) == [-1.0, 4.21, 5.0]
    assert not [c for c in fig.axes[1].collections if len(c.get_offsets())]  # nothing on bbbp
    with pytest.raises(ValueError, match="no variant"):
        table3.plot_paired([("x", {"ogbg-molbace": (None, 1.0)})], ["ogbg-molbace"], tmp_path / "q.png")


def test_mixed_protocols_are_not_pooled():
    mixed = hand_records() + [rec("ogbg-molbace", "gin", "plain", 0, 0.9, epochs=30)]
    with pytest.raises(ValueError, match="different protocols"):
        table3.collect(mixed)


def test_missing_data_is_a_clear_error(monkeypatch):
    import hma_graph.data.molecules as molecules

    def unreachable(name, root=None, rebuild=False):
        raise RuntimeError("could not download https://example.invalid/BBBP.csv")

    monkeypatch.setattr(molecules, "load_molecule_dataset", unreachable)
    with pytest.raises(table3.DataMissingError, match="ogbg-molbbbp.*HMA_GRAPH_MIRROR.*moleculenet/BBBP.csv"):
        table3.load_data("ogbg-molbbbp")


def test_quick_sweep_end_to_end(mirror, tmp_path, monkeypatch):
    out = tmp_path / "out"
    argv = ["--profile", "quick", "--datasets", "bace", "--models", "gin", "--variants", "plain", "hma",
            "--seeds", "0", "--out", str(out), "--threads", "1", "--no-progress"]
    calls = []
    real = table3.run_one
    monkeypatch.setattr(table3, "run_one", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    res = table3.main(argv)
    assert len(calls) == 2
    paths = sorted(out.glob("*.json"))
    assert [p.name for p in paths] == ["dataset=ogbg-molbace__epochs=2__model=gin__seed=0__variant=hma.json",
                                       "dataset=ogbg-molbace__epochs=2__model=gin__seed=0__variant=plain.json"]
    recs = {json.loads(p.read_text())["spec"]["variant"]: json.loads(p.read_text()) for p in paths}
    for r in recs.values():
        assert r["status"] == "done" and len(r["history"]["valid"]) == 2
        assert r["test"] == r["history"]["test"][r["selected_epoch"]]
        assert 0.0 <= r["test"] <= 1.0 and r["config"]["train_graphs"] == 256
    assert "test_batch" in recs["hma"]["extra"] and "extra" not in recs["plain"]
    assert not list(out.glob(".partial/*"))  # no resume state is left behind by finished runs
    assert (out / "PAIRED.png").stat().st_size > 0
    table = (out / "TABLE.md").read_text()
    assert table == res["table"] and "| GIN+HMA |" in table and "GIN+HMA − GIN" in table

    # resuming: nothing is re-run, records untouched
    mtimes = [p.stat().st_mtime_ns for p in paths]
    table3.main(argv)
    assert len(calls) == 2 and [p.stat().st_mtime_ns for p in paths] == mtimes
    # an invocation for a slice (plain only) still writes the table of every record in the folder
    slice_argv = argv[:argv.index("--variants") + 1] + ["plain"] + argv[argv.index("hma") + 1:]
    table3.main(slice_argv)
    assert len(calls) == 2 and (out / "TABLE.md").read_text() == table
    # a different protocol into the same folder stops before any run
    with pytest.raises(SystemExit, match="different protocol"):
        table3.main(argv + ["--inference", "batch"])
    assert len(calls) == 2
    # the same seed repeats exactly on CPU
    spec = recs["plain"]["spec"]
    again = real(spec, table3.PROFILES["quick"], "isolated", table3.load_data("ogbg-molbace"), threads=1)
    assert again["history"]["valid"] == recs["plain"]["history"]["valid"]
    assert again["history"]["train_loss"] == recs["plain"]["history"]["train_loss"]


def test_hma_lr_variant_runs_hma_with_a_slower_hma_layer(mirror):
    data = table3.load_data("ogbg-molbace")
    spec = {"dataset": "ogbg-molbace", "epochs": 1, "model": "gin", "seed": 0}
    profile = table3.PROFILES["quick"]
    slow = table3.run_one({**spec, "variant": "hma-lr0.1"}, profile, "isolated", data, threads=1)
    base = table3.run_one({**spec, "variant": "hma"}, profile, "isolated", data, threads=1)
    assert slow["config"]["hma_lr"] == pytest.approx(0.1 * profile.lr) and "hma_lr" not in base["config"]
    assert slow["config"]["params"] == base["config"]["params"]  # same model, other step size
    assert "test_batch" in slow["extra"]
    assert slow["history"]["train_loss"] != base["history"]["train_loss"]


def test_lr_variant_rows_only_where_measured():
    b = "ogbg-molbace"
    recs = hand_records() + [rec(b, "gcn", "plain", 0, 0.80), rec(b, "gcn", "hma", 0, 0.81),
                             rec(b, "gin", "hma-lr0.1", 0, 0.73, {"test_batch": 0.74})]
    text = table3.render_tables(recs, PAPER)
    assert "| GIN+HMA (HMA lr x0.1) | 73.00 (n=1) | - |" in text
    assert "| GIN+HMA (HMA lr x0.1) − GIN | +3.00 (1/1 seeds up) | - |" in text
    assert "GCN+HMA (HMA lr" not in text          # no record: no row
    assert "| GCN+HMA | 81.00 (n=1) | - |" in text  # paper rows stay, measured or not
