"""Split rules on hand-made arrays (expected parts worked out by hand in the comments)."""
import numpy as np
import pytest

from hma_graph.data.splits import (degree_shift_split, degree_thresholds, size_shift_split,
                                   size_thresholds)


def _check_parts(split, total):
    assert set(split) == {"train", "valid", "test"}
    for part in split.values():
        assert part.dtype == np.int64 and part.ndim == 1
        assert np.all(np.diff(part) > 0)  # sorted, no repeats
        assert part.size == 0 or (part.min() >= 0 and part.max() < total)
    for a, b in (("train", "valid"), ("train", "test"), ("valid", "test")):
        assert np.intersect1d(split[a], split[b]).size == 0, (a, b)


# ----------------------------------------------------------------------------- size shift
# sorted sizes [1, 2, 3, 4, 6, 6, 6, 7, 8, 10, 12]: P50 at position 5 -> 6 (three graphs tie),
# P90 at position 9 -> 10 (tie with graph 5).
SIZES = np.array([4, 8, 2, 6, 6, 10, 1, 6, 12, 3, 7])
POOL = [0, 2, 3, 4, 6, 7, 9]  # n <= 6: sizes 4, 2, 6, 6, 1, 6, 3
TEST = [5, 8]                 # n >= 10: sizes 10, 12


def test_size_thresholds_by_hand():
    assert size_thresholds(SIZES) == (6.0, 10.0)
    # linear interpolation: sorted [1, 2, 3, 4], P50 at 1.5 -> 2.5, P90 at 2.7 -> 3.7
    p50, p90 = size_thresholds([4, 1, 3, 2])
    assert p50 == pytest.approx(2.5) and p90 == pytest.approx(3.7)


def test_size_split_pool_and_test_with_ties():
    split = size_shift_split(SIZES, seed=0)
    _check_parts(split, SIZES.size)
    assert split["test"].tolist() == TEST
    assert split["valid"].size == 0  # floor(0.1 * 7) = 0
    assert split["train"].tolist() == POOL
    split = size_shift_split(SIZES, seed=0, val_fraction=0.3)  # floor(2.1) = 2
    assert split["valid"].size == 2
    assert sorted(split["train"].tolist() + split["valid"].tolist()) == POOL
    assert split["test"].tolist() == TEST


def test_size_split_validation_draw_is_seeded():
    rng = np.random.default_rng(123)
    sizes = rng.integers(5, 200, size=3000)
    a, b, c = (size_shift_split(sizes, seed=s) for s in (7, 7, 8))
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["valid"], c["valid"])
    np.testing.assert_array_equal(a["test"], c["test"])
    pool = np.flatnonzero(sizes <= np.median(sizes))
    assert a["valid"].size == pool.size // 10
    np.testing.assert_array_equal(np.union1d(a["train"], a["valid"]), pool)
    _check_parts(a, sizes.size)
    # the documented draw: the first floor(0.1 |pool|) of default_rng(seed).permutation(pool)
    expected = np.sort(np.random.default_rng(7).permutation(pool)[:pool.size // 10])
    np.testing.assert_array_equal(a["valid"], expected)


@pytest.mark.parametrize("bad", [[], [3, -1, 4], [[1, 2], [3, 4]], [1.5, 2.0, 3.0], ["a", "b"]])
def test_size_split_rejects_bad_counts(bad):
    with pytest.raises(ValueError):
        size_shift_split(bad, seed=0)


def test_size_split_rejects_degenerate_and_bad_args():
    with pytest.raises(ValueError, match="degenerate"):
        size_shift_split([5, 5, 5, 5], seed=0)
    with pytest.raises(ValueError, match="val_fraction"):
        size_shift_split(SIZES, seed=0, val_fraction=1.0)
    with pytest.raises(ValueError, match="seed"):
        size_shift_split(SIZES, seed=0.5)


# ----------------------------------------------------------------------------- degree shift
# 11 graphs with 10 nodes; directed edges e -> d = e / 10, listed in a scrambled file order.
#   d (file order): 2.2 1.4 0.2 3.0 1.8 2.4 1.2 2.8 2.0 1.6 2.6
# sorted d: 0.2 1.2 1.4 1.6 1.8 2.0 2.2 2.4 2.6 2.8 3.0 -> P20 (pos 2) 1.4, P50 (pos 5) 2.0,
# P80 (pos 8) 2.6. Graph 2 has e = 2 <= 2 edges: dropped (it still counts in the percentiles
# and in n_valid = int(0.1 * 11 + 0.5) = 1).
DEG_E = np.array([22, 14, 2, 30, 18, 24, 12, 28, 20, 16, 26])
DEG_N = np.full(11, 10)


def test_degree_thresholds_by_hand():
    p20, p50, p80 = degree_thresholds(DEG_N, DEG_E)
    assert (p20, p50, p80) == pytest.approx((1.4, 2.0, 2.6))


def test_degree_split_sst5_by_hand():
    split = degree_shift_split(DEG_N, DEG_E, mode="sst5")
    _check_parts(split, 11)
    assert split["train"].tolist() == [1, 4, 6, 8, 9]  # d <= 2.0 (ties at P50 included), not 2
    assert split["test"].tolist() == [3, 7]            # d > 2.6 (2.6 itself excluded)
    assert split["valid"].tolist() == [0]              # band (2.0, 2.6] = [0, 5, 10], first one
    wider = degree_shift_split(DEG_N, DEG_E, mode="sst5", val_fraction=0.2)  # int(2.7) = 2
    assert wider["valid"].tolist() == [0, 5]


def test_degree_split_twitter_by_hand():
    split = degree_shift_split(DEG_N, DEG_E, mode="twitter")
    _check_parts(split, 11)
    assert split["train"].tolist() == [0, 3, 5, 7, 10]  # d > 2.0
    assert split["test"].tolist() == [1, 6]             # d <= 1.4, graph 2 dropped
    assert split["valid"].tolist() == [4]               # band (1.4, 2.0] = [4, 8, 9], first one
    everything = degree_shift_split(DEG_N, DEG_E, mode="twitter", val_fraction=0.5)  # int(6.0)
    assert everything["valid"].tolist() == [4, 8, 9]    # n_valid > band: the whole band


def test_degree_split_validation_size_rounds_half_up():
    # G = 25: int(2.5 + 0.5) = 3 (Python's round(2.5) would give 2)
    n = np.full(25, 10)
    e = np.arange(25) * 2 + 4
    split = degree_shift_split(n, e, mode="sst5")
    assert split["valid"].size == 3


def test_degree_split_matches_a_loop_reference():
    rng = np.random.default_rng(5)
    n = rng.integers(1, 40, size=500)
    e = 2 * rng.integers(0, 60, size=500)
    d = e / n
    p20, p50, p80 = np.percentile(d, [20, 50, 80])
    for mode in ("sst5", "twitter"):
        train, test, band = [], [], []
        for i in range(500):  # CIGA's loop, written out
            if e[i] <= 2:
                continue
            if mode == "sst5":
                (train if d[i] <= p50 else test if d[i] > p80 else band).append(i)
            else:
                (train if d[i] > p50 else test if d[i] <= p20 else band).append(i)
        split = degree_shift_split(n, e, mode=mode)
        assert split["train"].tolist() == train
        assert split["test"].tolist() == test
        assert split["valid"].tolist() == band[:50]


def test_degree_split_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        degree_shift_split([3, 4], [4, 6, 8])
    with pytest.raises(ValueError, match="no nodes"):
        degree_shift_split([3, 0], [4, 0])
    with pytest.raises(ValueError, match="non-negative"):
        degree_shift_split([3, 4], [4, -2])
    with pytest.raises(ValueError, match="empty"):
        degree_shift_split([], [])
    with pytest.raises(ValueError, match="mode"):
        degree_shift_split([3, 4], [4, 6], mode="sst2")
