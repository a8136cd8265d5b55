"""The shapes of Spurious-Motif graphs: the three bases and the three motifs.

See :mod:`hma_graph.data.spmotif` for the generator and its rules. Bases (spurious part):
``tree(r, h)`` a balanced r-ary tree of height h, ``ladder(k)`` two k-node paths joined by k
rungs, ``wheel(n)`` a hub joined to every node of an (n-1)-cycle. Motifs (causal part): 5 nodes,
anchor node 0: ``cycle``, ``house``, ``crane``. Every edge list is undirected, (m, 2) int64,
read-only (the builders are cached). Noise: ``noise_edges`` draws extra edges that touch the base.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict, List, Tuple

import numpy as np

__all__ = ["BASES", "MOTIFS", "BASE_SIZE_PRESETS", "MOTIF_EDGES", "MOTIF_NUM_NODES",
           "tree_edges", "ladder_edges", "wheel_edges", "base_edges", "noise_edges"]

BASES: Tuple[str, ...] = ("tree", "ladder", "wheel")
MOTIFS: Tuple[str, ...] = ("cycle", "house", "crane")

# inclusive (low, high) ranges of the base size parameter: tree height h, ladder rungs k, wheel nodes n
BASE_SIZE_PRESETS: Dict[str, Dict[str, Tuple[int, int]]] = {
    "small": {"tree": (0, 2), "ladder": (8, 11), "wheel": (15, 19)},
    "large": {"tree": (3, 5), "ladder": (30, 49), "wheel": (60, 79)},
}
_MIN_SIZE = {"tree": 0, "ladder": 1, "wheel": 4}

MOTIF_NUM_NODES = 5
# undirected edge lists on nodes 0..4; node 0 is the anchor joined to the base
MOTIF_EDGES: Dict[str, np.ndarray] = {
    "cycle": np.array([(0, 1), (1, 2), (2, 3), (3, 4), (4, 0)], dtype=np.int64),
    "house": np.array([(1, 2), (2, 3), (3, 4), (4, 1), (0, 1), (0, 4)], dtype=np.int64),
    "crane": np.array([(1, 2), (2, 3), (3, 4), (4, 1), (0, 1), (0, 3)], dtype=np.int64),
}


# ----------------------------------------------------------------------------- base graphs
@lru_cache(maxsize=None)
def tree_edges(branching: int, height: int) -> Tuple[int, np.ndarray]:
    """Balanced ``branching``-ary tree of the given height, nodes in BFS order (root 0).

    Node i > 0 has parent (i - 1) // r. Returns (num_nodes, edges (num_nodes - 1, 2) int64).
    """
    if branching < 2 or height < 0:
        raise ValueError(f"tree needs branching >= 2 and height >= 0, got r={branching}, h={height}")
    n = (branching ** (height + 1) - 1) // (branching - 1)
    child = np.arange(1, n, dtype=np.int64)
    e = np.stack([(child - 1) // branching, child], axis=1)
    e.setflags(write=False)
    return n, e


@lru_cache(maxsize=None)
def ladder_edges(rungs: int) -> Tuple[int, np.ndarray]:
    """Ladder with k rungs: rails 0..k-1 and k..2k-1. Returns (2k, edges (3k - 2, 2))."""
    if rungs < 1:
        raise ValueError(f"ladder needs at least 1 rung, got {rungs}")
    k = rungs
    i = np.arange(k - 1, dtype=np.int64)
    r = np.arange(k, dtype=np.int64)
    e = np.concatenate([np.stack([i, i + 1], 1), np.stack([i + k, i + k + 1], 1), np.stack([r, r + k], 1)])
    e.setflags(write=False)
    return 2 * k, e


@lru_cache(maxsize=None)
def wheel_edges(num_nodes: int) -> Tuple[int, np.ndarray]:
    """Wheel on n >= 4 nodes: hub 0, rim cycle 1..n-1. Returns (n, edges (2(n - 1), 2))."""
    if num_nodes < 4:
        raise ValueError(f"wheel needs at least 4 nodes (hub + a 3-cycle), got {num_nodes}")
    rim = np.arange(1, num_nodes, dtype=np.int64)
    nxt = np.roll(rim, -1)
    e = np.concatenate([np.stack([np.zeros_like(rim), rim], 1), np.stack([rim, nxt], 1)])
    e.setflags(write=False)
    return num_nodes, e


def base_edges(base: str, size: int, branching: int = 2) -> Tuple[int, np.ndarray]:
    """(num_nodes, undirected edges (m, 2)) of a base graph; ``size`` is h, k or n (see module doc)."""
    if base == "tree":
        return tree_edges(int(branching), int(size))
    if base == "ladder":
        return ladder_edges(int(size))
    if base == "wheel":
        return wheel_edges(int(size))
    raise ValueError(f"unknown base {base!r}; expected one of {BASES}")


def noise_edges(rng: np.random.Generator, n: int, n_base: int, edges: np.ndarray, k: int) -> np.ndarray:
    """k distinct new undirected edges, uniform over the node pairs not in ``edges`` with at least one
    endpoint among the first ``n_base`` (base) nodes; (k, 2) int64. Raises if fewer than k such
    pairs are free."""
    if k == 0:
        return np.zeros((0, 2), dtype=np.int64)
    lo, hi = np.minimum(edges[:, 0], edges[:, 1]), np.maximum(edges[:, 0], edges[:, 1])
    taken = set((lo * n + hi).tolist())
    n_motif = n - n_base
    taken_touching_base = int(np.count_nonzero(lo < n_base))
    available = n * (n - 1) // 2 - n_motif * (n_motif - 1) // 2 - taken_touching_base
    if available < k:
        raise ValueError(f"noise asks for {k} extra edges but only {available} node pairs are free "
                         f"in a graph with {n} nodes; lower `noise`")
    out: List[int] = []
    while len(out) < k:
        uv = rng.integers(0, n, size=(2 * k + 4, 2))
        for u, v in uv.tolist():
            if u == v or (u >= n_base and v >= n_base):
                continue
            key = min(u, v) * n + max(u, v)
            if key in taken:
                continue
            taken.add(key)
            out.append(key)
            if len(out) == k:
                break
    keys = np.asarray(out, dtype=np.int64)
    return np.stack([keys // n, keys % n], axis=1)
