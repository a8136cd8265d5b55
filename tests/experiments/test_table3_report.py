"""Table 3's TABLE.md and PAIRED.png from hand-made records: every number checked by hand."""
import pytest

from hma_graph.experiments import registry, table3_report as t3
from hma_graph.experiments.table3_spec import library_variant, row_label
from hma_graph.experiments.table3_spec import dataset_name


def rec(dataset, model, variant, seed, test, extra=None, epochs=100, profile="paper", valid=None):
    spec = {"dataset": dataset, "epochs": epochs, "model": model, "variant": variant, "seed": seed}
    out = {"spec": spec, "test": test, "extra": extra or {}, "status": "done",
           "config": registry.resolve("table3", profile, spec)}
    return out if valid is None else {**out, "valid": valid}


B, P = "ogbg-molbace", "ogbg-molbbbp"


def hand_records():
    return [rec(B, "gin", "plain", 0, 0.70), rec(B, "gin", "plain", 1, 0.72), rec(B, "gin", "plain", 2, 0.74),
            rec(B, "gin", "hma", 0, 0.75, {"test_batch": 0.76}), rec(B, "gin", "hma", 1, 0.71, {"test_batch": 0.70}),
            rec(P, "gin", "plain", 0, 0.65)]


def test_names():
    assert row_label("gin-v", "hma") == "GIN-v+HMA"
    assert row_label("gcn", "plain") == "GCN"
    assert row_label("gin", "abd+syn") == "GIN+ABD+SYN"
    assert row_label("gin", "hma-lr0.1") == "GIN+HMA (HMA lr x0.1)"
    assert library_variant("hma-lr0.1") == ("hma", 0.1) and library_variant("abd") == ("abd", None)
    assert [dataset_name(x) for x in ("bace", "molbbbp", "ogbg-molhiv")] == [B, P, "ogbg-molhiv"]
    with pytest.raises(ValueError, match="unknown data set"):
        dataset_name("tox21")


def test_tables_exact():
    lines = t3.render(hand_records()).splitlines()
    # GIN bace: mean 72, sample std of (70, 72, 74) = 2; bbbp one seed; avg ours (72 + 65) / 2
    assert "| GIN | 72.00 ± 2.00 (n=3) | 72.97 ± 4.00 | 65.00 (n=1) | 68.17 ± 1.48 | 68.50 | 70.57 |" in lines
    # GIN+HMA bace (75, 71): mean 73, std sqrt(8) = 2.83; no bbbp record: no average
    assert "| GIN+HMA | 73.00 ± 2.83 (n=2) | 77.18 ± 2.20 | - | 69.47 ± 1.50 | - | 73.33 |" in lines
    # batch-mode table: (76, 70) -> 73.00 ± 4.24
    assert "| GIN+HMA | 73.00 ± 4.24 (n=2) | 77.18 ± 2.20 | - | 69.47 ± 1.50 | - | 73.33 |" in lines
    # paired: (+5, -1): mean 2, sd sqrt(18) = 4.243, t(0.975, 1) = 12.706: half width 38.12
    assert "| GIN+HMA − GIN | +2.00 [-36.12, +40.12] (1/2 seeds up) | +4.21 | - | +1.30 | - |" in lines
    # batch: (76 - 70, 70 - 72) = (+6, -2): mean 2, sd sqrt(32): half width 50.82
    assert ("| GIN+HMA [batch inference] − GIN | +2.00 [-48.82, +52.82] (1/2 seeds up) | +4.21 | - | +1.30 | - |"
            in lines)
    text = "\n".join(lines)
    assert "main number with HMA inference mode: isolated" in text
    assert "epochs: bace 100; bbbp 100" in text and "seeds 0, 1, 2" in text
    assert "5 layers x 300, dropout 0.5, batch 32, Adam lr 0.001" in text


def test_test_and_validation_side_by_side():
    """Each variant minus its backbone, and the recipe minus the default, on test and on validation.
    Two seeds: t(0.975, 1) = 12.706 and sd / sqrt(2) = |d_0 - d_1| / 2, so half width = 6.353 |d_0 - d_1|."""
    recs = [rec(B, "gin", v, s, te, valid=va) for v, s, te, va in (
        ("plain", 0, .70, .80), ("plain", 1, .72, .82), ("hma", 0, .75, .79), ("hma", 1, .71, .83),
        ("hma-tuned", 0, .76, .81), ("hma-tuned", 1, .74, .80))]
    lines = t3.render(recs).splitlines()
    assert "| comparison | bace test | bace valid |" in lines
    # hma - plain: test (+5, -1), valid (-1, +1)
    assert ("| GIN+HMA − GIN | +2.00 [-36.12, +40.12] (1/2 seeds up) "
            "| +0.00 [-12.71, +12.71] (1/2 seeds up) |") in lines
    # tuned - plain: test (+6, +2), valid (+1, -2)
    assert ("| GIN+HMA (tuned) − GIN | +4.00 [-21.41, +29.41] (2/2 seeds up) "
            "| -0.50 [-19.56, +18.56] (1/2 seeds up) |") in lines
    # tuned - default: test (+1, +3), valid (+2, -3); the default itself is not paired against itself
    assert ("| GIN+HMA (tuned) − GIN+HMA | +2.00 [-10.71, +14.71] (2/2 seeds up) "
            "| -0.50 [-32.27, +31.27] (1/2 seeds up) |") in lines
    assert not any(x.startswith("| GIN+HMA − GIN+HMA") for x in lines)
    # records without a validation value (older ones) get no such section
    assert "side by side" not in t3.render(hand_records())


def test_time_relative_to_the_backbone():
    recs = hand_records()
    for r, wall in zip(recs[:5], (10, 20, 30, 15, 50)):      # plain seeds 0-2, hma seeds 0-1
        r["wall_s"], r["epochs_run"] = wall, 10
    # hma / plain on the same seed: 15/10 = 1.5, 50/20 = 2.5 -> median 2.0
    assert t3.time_vs_backbone(recs) == {("gin", "plain"): 1.0, ("gin", "hma"): 2.0}
    assert "| GIN+HMA − GIN | +2.00 [-36.12, +40.12] (1/2 seeds up) | +4.21 | - | +1.30 | 2.00x |" in t3.render(recs)


def test_lr_variant_rows_only_where_measured():
    recs = hand_records() + [rec(B, "gcn", "plain", 0, 0.80), rec(B, "gcn", "hma", 0, 0.81),
                             rec(B, "gin", "hma-lr0.1", 0, 0.73, {"test_batch": 0.74})]
    text = t3.render(recs)
    assert "| GIN+HMA (HMA lr x0.1) | 73.00 (n=1) | - |" in text
    assert "| GIN+HMA (HMA lr x0.1) − GIN | +3.00 (1/1 seeds up) | - |" in text
    assert "GCN+HMA (HMA lr" not in text          # no record: no row
    assert "| GCN+HMA | 81.00 (n=1) | 80.59 ± 1.15 |" in text


def test_mixed_protocols_are_not_pooled():
    mixed = hand_records() + [rec(B, "gin", "plain", 0, 0.9, epochs=30)]
    with pytest.raises(ValueError, match="two protocols"):
        t3.cells_of(mixed)


def test_paired_plot_draws_each_seeds_difference(tmp_path):
    fig = t3.plot_paired(hand_records(), tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 0 and not list(tmp_path.glob(".*"))
    dots = [c.get_offsets() for c in fig.axes[0].collections if len(c.get_offsets())]
    # seed 0: 75 - 70 = +5, seed 1: 71 - 72 = -1 (points); the paper's cross at 77.18 - 72.97 = +4.21
    assert sorted(round(float(x), 6) for o in dots for x in o[:, 0]) == [-1.0, 4.21, 5.0]
    assert [round(float(x), 6) for c in fig.axes[1].collections for x in c.get_offsets()[:, 0]] == [1.3]
    assert t3.plot_paired([rec(B, "gin", "plain", 0, 0.7)], tmp_path / "q.png") is None
