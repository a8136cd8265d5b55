"""Split rules: pure functions of per-graph statistics (docs/PROTOCOLS.md, sections B, C and E).

Inputs are 1-D arrays with one entry per graph, in dataset (file) order; outputs are dicts
``{"train", "valid", "test"}`` of sorted ``np.int64`` index arrays into that order. The parts are
pairwise disjoint; graphs that fall in no part are unused. Nothing here touches files or graphs.

Random split (Table 4, G-Mixup's protocol): :func:`random_split`, 70/10/20 of a seeded shuffle.

Size shift (TU data sets, Table 6; Bevilacqua et al. / CIGA's TU splits)
    n_i     = number of nodes of graph i
    P50, P90 = np.percentile(n, [50, 90])          (numpy default "linear" interpolation)
    pool    = {i : n_i <= P50}                     (ties at P50 belong to the pool)
    test    = {i : n_i >= P90}                     (ties at P90 belong to the test set)
    valid   = floor(val_fraction * |pool|) indices of the pool drawn by
              ``np.random.default_rng(seed).permutation(pool)[:n_valid]``  (pool in index order)
    train   = pool minus valid
    Graphs with P50 < n_i < P90 are unused. The original random draw is not recoverable; this one
    is reproducible from ``seed``.

Degree shift (Graph-SST5 and Graph-Twitter, Table 5; CIGA's ``get_dataloader_per``)
    e_i     = number of DIRECTED edges of graph i after the reverse of every raw edge was added
              (DIG's ``undirected_graph`` pre-transform concatenates the reversed edge list, so this
              is 2 x the lines of the raw ``edge_index.txt`` belonging to graph i, with no
              de-duplication; it is ``g.num_edges`` of CIGA's PyG graphs)
    d_i     = e_i / n_i                            (float64)
    P20, P50, P80 = np.percentile(d, [20, 50, 80]) over ALL graphs (before any graph is dropped)
    dropped = {i : e_i <= 2}                       (CIGA: ``if g.num_edges <= 2: continue``)
    mode "sst5"    (small degree -> large degree):
        train = {d_i <= P50},  test = {d_i > P80},  band = {P50 < d_i <= P80}
    mode "twitter" (large degree -> small degree):
        train = {d_i > P50},   test = {d_i <= P20}, band = {P20 < d_i <= P50}
    valid   = the first n_valid graphs of the band in file order,
              n_valid = int(val_fraction * G + 0.5) with G = number of ALL graphs (CIGA:
              ``int(len(dataset) * 0.1 + 0.5)``, i.e. round half up); the rest of the band is unused.
    All of train / test / band exclude the dropped graphs. Published sizes: SST5 (G = 11855)
    6090/1186/2240, Twitter (G = 6940) 3238/694/1509.
"""
from __future__ import annotations

import math
import random
from typing import Dict, Tuple

import numpy as np

__all__ = ["random_split", "size_thresholds", "size_shift_split", "degree_thresholds", "degree_shift_split",
           "DEGREE_MODES"]

DEGREE_MODES = ("sst5", "twitter")


def _counts(values, what: str) -> np.ndarray:
    """A 1-D, non-empty, integer-valued, non-negative int64 array (ValueError otherwise)."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array with one entry per graph, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{what} is empty: no graphs to split")
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise ValueError(f"{what} must hold integer counts, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
            raise ValueError(f"{what} must hold integer counts, got non-integer values")
    arr = arr.astype(np.int64)
    if np.any(arr < 0):
        i = int(np.flatnonzero(arr < 0)[0])
        raise ValueError(f"{what} must be non-negative, got {int(arr[i])} at index {i}")
    return arr


def _fraction(val_fraction: float) -> float:
    f = float(val_fraction)
    if not (0.0 <= f < 1.0):
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction!r}")
    return f


def size_thresholds(num_nodes) -> Tuple[float, float]:
    """(P50, P90) of the node counts, ``np.percentile`` with linear interpolation."""
    n = _counts(num_nodes, "num_nodes")
    p50, p90 = np.percentile(n, [50, 90])
    return float(p50), float(p90)


def size_shift_split(num_nodes, seed: int, val_fraction: float = 0.1) -> Dict[str, np.ndarray]:
    """Train on small graphs, test on large ones (rule in the module docstring).

    Args:
        num_nodes: (G,) node count per graph.
        seed: integer seed of ``np.random.default_rng`` for the validation draw.
        val_fraction: share of the pool (floored) that becomes the validation set.
    Returns: ``{"train", "valid", "test"}``, sorted np.int64 index arrays.
    Raises ValueError for empty/negative/non-integer/misshaped input, a bad fraction or seed, and
    for a degenerate distribution with P50 == P90 (pool and test would overlap).
    """
    n = _counts(num_nodes, "num_nodes")
    frac = _fraction(val_fraction)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int, got {seed!r}")
    p50, p90 = np.percentile(n, [50, 90])
    pool = np.flatnonzero(n <= p50).astype(np.int64)
    test = np.flatnonzero(n >= p90).astype(np.int64)
    if np.intersect1d(pool, test).size:
        raise ValueError(f"degenerate size distribution: P50 = {p50} and P90 = {p90} coincide, "
                         "so the small pool and the large test set would overlap")
    n_valid = math.floor(frac * pool.size + 1e-9)
    perm = np.random.default_rng(int(seed)).permutation(pool)
    return {
        "train": np.sort(perm[n_valid:]).astype(np.int64),
        "valid": np.sort(perm[:n_valid]).astype(np.int64),
        "test": test,
    }


def _degrees(num_nodes, num_edges) -> Tuple[np.ndarray, np.ndarray]:
    n = _counts(num_nodes, "num_nodes")
    e = _counts(num_edges, "num_edges")
    if n.shape != e.shape:
        raise ValueError("num_nodes and num_edges must have the same length, "
                         f"got {n.size} and {e.size}")
    if np.any(n == 0):
        i = int(np.flatnonzero(n == 0)[0])
        raise ValueError(f"graph {i} has no nodes: its average degree is undefined")
    return e, e.astype(np.float64) / n.astype(np.float64)


def degree_thresholds(num_nodes, num_edges) -> Tuple[float, float, float]:
    """(P20, P50, P80) of the average degree d = directed edges / nodes over all graphs."""
    _, d = _degrees(num_nodes, num_edges)
    p20, p50, p80 = np.percentile(d, [20, 50, 80])
    return float(p20), float(p50), float(p80)


def degree_shift_split(num_nodes, num_edges, mode: str = "sst5",
                       val_fraction: float = 0.1) -> Dict[str, np.ndarray]:
    """Split by average degree (rule in the module docstring; deterministic, no seed).

    Args:
        num_nodes: (G,) node count per graph, all > 0.
        num_edges: (G,) DIRECTED edge count per graph after adding reverse edges.
        mode: "sst5" (train on low degree, test on high) or "twitter" (the reverse).
        val_fraction: validation size as a share of ALL G graphs, rounded half up.
    Returns: ``{"train", "valid", "test"}``, sorted np.int64 index arrays.
    """
    if mode not in DEGREE_MODES:
        raise ValueError(f"mode must be one of {DEGREE_MODES}, got {mode!r}")
    e, d = _degrees(num_nodes, num_edges)
    frac = _fraction(val_fraction)
    p20, p50, p80 = np.percentile(d, [20, 50, 80])
    keep = e > 2
    if mode == "sst5":
        train = keep & (d <= p50)
        test = keep & (d > p80)
        band = keep & (d > p50) & (d <= p80)
    else:
        train = keep & (d > p50)
        test = keep & (d <= p20)
        band = keep & (d > p20) & (d <= p50)
    n_valid = int(frac * d.size + 0.5)
    return {
        "train": np.flatnonzero(train).astype(np.int64),
        "valid": np.flatnonzero(band)[:n_valid].astype(np.int64),
        "test": np.flatnonzero(test).astype(np.int64),
    }


def random_split(n: int, seed: int, fractions=(0.7, 0.1, 0.2)) -> Dict[str, np.ndarray]:
    """One random split of ``n`` items into train / valid / test (docs/PROTOCOLS.md section E),
    drawn exactly as G-Mixup's script draws it: the list 0..n-1 shuffled by python's
    ``random.seed(seed); random.shuffle(...)`` (the Mersenne Twister; the same on every platform),
    then train = the first int(f_train n), valid up to int((f_train + f_valid) n), test the rest.
    On a data set in file order (PyG's TUDataset order) these are the graphs G-Mixup's run with that
    seed uses. Sorted index arrays."""
    if n < 3:
        raise ValueError(f"random_split needs at least 3 items, got {n}")
    if len(fractions) != 3 or min(fractions) <= 0 or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"fractions must be three positive numbers summing to 1, got {fractions}")
    perm = list(range(n))
    random.Random(seed).shuffle(perm)
    a = int(n * fractions[0])
    b = int(n * round(fractions[0] + fractions[1], 12))  # 0.7 + 0.1 is 0.7999...: G-Mixup writes 0.8
    perm = np.asarray(perm, dtype=np.int64)
    return {"train": np.sort(perm[:a]), "valid": np.sort(perm[a:b]), "test": np.sort(perm[b:])}
