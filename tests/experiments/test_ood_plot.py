"""BIAS.png of the Spurious-Motif suite: the plotted series against a hand computation."""
import statistics

import pytest

from hma_graph.experiments import ood_plot, registry


def rec(method, bias, seed, test):
    spec = {"suite": "spmotif", "dataset": f"SPMotif-{bias}", "method": method, "seed": seed}
    return {"spec": spec, "test": test, "status": "done", "extra": {},
            "config": registry.resolve("ood", "paper", spec)}


RECORDS = [rec("erm", 0.9, 0, 0.40), rec("erm", 0.9, 1, 0.50), rec("erm", 0.33, 0, 0.60),
           rec("hma", 0.9, 0, 0.45), rec("hma", 0.9, 1, 0.65), rec("hma", 0.33, 1, 0.70),
           rec("cigav1", 0.6, 3, 0.55)]


def test_series_by_bias_with_paired_differences():
    s = ood_plot.bias_series(RECORDS)
    assert list(s) == ["erm", "cigav1", "hma"]                 # the suite's method order
    (b1, m1, sd1, n1, d1), (b2, m2, sd2, n2, d2) = s["hma"]
    assert (b1, b2) == (0.33, 0.9)                             # sorted by bias
    assert (m1, sd1, n1, d1) == (70.0, 0.0, 1, None)           # b 0.33: ERM has seed 0 only, HMA seed 1
    assert m2 == pytest.approx(55.0) and sd2 == pytest.approx(statistics.stdev([45.0, 65.0])) and n2 == 2
    # paired on seeds 0 and 1: differences +5 and +15 points, mean +10, t(0.975, 1) = 12.706
    assert d2["diffs"] == pytest.approx([5.0, 15.0]) and d2["mean"] == pytest.approx(10.0)
    half = 12.7062047 * statistics.stdev([5.0, 15.0]) / 2 ** 0.5
    assert (d2["lo"], d2["hi"]) == (pytest.approx(10.0 - half), pytest.approx(10.0 + half))
    assert all(p[4] is None for p in s["erm"]) and s["cigav1"][0][4] is None   # no ERM at b 0.6


def test_plot_writes_a_png_and_nothing_without_records(tmp_path):
    pytest.importorskip("matplotlib")
    assert ood_plot.plot_bias([], tmp_path / "none.png") is None and not (tmp_path / "none.png").exists()
    assert ood_plot.plot_bias(RECORDS, tmp_path / "BIAS.png") is not None
    assert (tmp_path / "BIAS.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
