"""The one formatter and the paired statistics, against hand computations."""
import math
import statistics

import pytest

from hma_graph.experiments.report import (collect, fmt, fmt_cell, fmt_paired, markdown_table, paired,
                                          running_best_test, time_ratios)


def test_paired_difference_and_t_interval_by_hand():
    variant = {0: 0.80, 1: 0.75, 2: 0.70, 3: 0.90}
    base = {0: 0.78, 1: 0.70, 2: 0.72, 4: 0.10}          # seed 3 / 4 unpaired: left out
    d = paired(variant, base)
    diffs = [0.02, 0.05, -0.02]
    mean, sd = sum(diffs) / 3, statistics.stdev(diffs)
    half = 4.302652729911275 * sd / math.sqrt(3)            # t_{0.975, 2}
    assert d["seeds"] == [0, 1, 2] and d["diffs"] == pytest.approx(diffs)
    assert d["mean"] == pytest.approx(mean) and d["sd"] == pytest.approx(sd)
    assert (d["lo"], d["hi"]) == pytest.approx((mean - half, mean + half))
    assert d["up"] == 2 and d["n"] == 3
    assert fmt_paired(d, "rocauc") == (f"+{100 * mean:.2f} [{100 * (mean - half):+.2f}, {100 * (mean + half):+.2f}] "
                                       "(2/3 seeds up)")
    assert fmt_paired(d, "mcc") == f"+{mean:.3f} [{mean - half:+.3f}, {mean + half:+.3f}] (2/3 seeds up)"
    one = paired({0: 0.5}, {0: 0.6})
    assert one["lo"] is None and fmt_paired(one, "accuracy") == "-10.00 (0/1 seeds up)"
    assert paired({1: 0.5}, {0: 0.5}) is None and paired(None, base) is None and fmt_paired(None, "mcc") == "-"


def test_cells_in_the_metrics_units():
    assert fmt_cell({0: 0.70, 1: 0.72, 2: 0.74}, "rocauc") == "72.00 ± 2.00 (n=3)"
    assert fmt_cell({0: 0.1, 1: 0.2, 2: 0.3}, "mcc") == "0.200 ± 0.100 (n=3)"
    assert fmt_cell({5: 0.35}, "accuracy") == "35.00 (n=1)" and fmt_cell(None, "mcc") == "-"
    assert fmt(0.0123, "mcc", sign=True) == "+0.012" and fmt(0.5, "accuracy") == "50.00"
    assert markdown_table(["a", "b"], [[1, 2]]) == "| a | b |\n|---|---|\n| 1 | 2 |"


def rec(method, dataset, seed, test, wall, epochs, batch=None):
    return {"spec": {"method": method, "dataset": dataset, "seed": seed}, "test": test, "wall_s": wall,
            "epochs_run": epochs, "extra": {} if batch is None else {"test_batch": batch}}


RECORDS = [rec("erm", "NCI1", 0, 0.1, 10, 10), rec("erm", "NCI1", 1, 0.2, 20, 10), rec("erm", "NCI1", 2, 0.3, 30, 30),
           rec("hma", "NCI1", 0, 0.4, 30, 10, 0.1), rec("hma", "NCI1", 1, 0.5, 40, 20, 0.2),
           rec("hma", "NCI1", 2, 0.6, 150, 30, 0.3),
           rec("hma", "DD", 0, 0.25, 99, 10), rec("erm", "DD", 5, 0.35, 1, 1)]


def test_collect_and_time_ratios():
    row, col = (lambda r: r["spec"]["method"]), (lambda r: r["spec"]["dataset"])
    cells = collect(RECORDS, row, col)
    assert cells[("erm", "NCI1")] == {0: 0.1, 1: 0.2, 2: 0.3} and cells[("hma", "DD")] == {0: 0.25}
    assert collect(RECORDS, row, col, "extra.test_batch") == {("hma", "NCI1"): {0: 0.1, 1: 0.2, 2: 0.3}}
    with pytest.raises(ValueError, match="seed 0 appears twice"):
        collect(RECORDS + [rec("erm", "NCI1", 0, 0.9, 1, 1)], row, col)
    t = time_ratios(RECORDS, row, "erm", lambda r: (r["spec"]["dataset"], r["spec"]["seed"]))
    # per run: 30/10, 40/20, 150/30 -> median 3; per epoch: (3/1)/(1/1), (2/1)/(2/1)... by hand:
    # seed 0: (30/10)/(10/10) = 3; seed 1: (40/20)/(20/10) = 1; seed 2: (150/30)/(30/30) = 5 -> 3
    assert t["hma"] == {"run": 3.0, "epoch": 3.0, "pairs": 3}
    assert t["erm"] == {"run": 1.0, "epoch": 1.0, "pairs": 4}


def test_running_best_test_logs_the_best_so_far_and_stops_like_ciga():
    valid = [0.0, 0.3, 0.2, 0.5, 0.5, 0.4, 0.1, 0.9]
    test = [0.7, 0.1, 0.9, 0.2, 0.8, 0.6, 0.3, 0.4]
    # epoch 0: validation 0 is not > 0, so the logged test is the starting 0; ties keep the earlier epoch
    assert running_best_test(valid, test, patience=None) == [0, 0.1, 0.1, 0.2, 0.2, 0.2, 0.2, 0.4]
    # warm-up 3: the counter only grows from epoch 3 on (epochs 4, 5 -> 2): epoch 5 stops, unlogged
    assert running_best_test(valid, test, patience=2, warmup=3) == [0, 0.1, 0.1, 0.2, 0.2]
    # without warm-up the counter also grows at epoch 2 and is reset at 3
    assert running_best_test(valid, test, patience=2) == [0, 0.1, 0.1, 0.2, 0.2]
    assert running_best_test(valid, test, patience=3) == [0, 0.1, 0.1, 0.2, 0.2, 0.2]
