"""Spurious-Motif: a synthetic graph-classification benchmark with a controllable spurious base.

Rules (DIR, Wu et al. ICLR 2022, public generator ``spmotif_gen`` of Wuyxin/DIR-GNN; CIGA's
``dataset_gen/gen_struc.py`` is the same generator; docs/PROTOCOLS.md, section F). Every graph is

    base graph  +  one motif  +  one anchor edge  +  a few random "noise" edges.

Bases (spurious part), index: 0 ``tree``, 1 ``ladder``, 2 ``wheel``:
    tree(r, h)  balanced r-ary tree of height h, r drawn from ``tree_branching`` (DIR: {2, 3}):
                (r^(h+1) - 1) / (r - 1) nodes, one fewer edges (binary: 2^(h+1) - 1 nodes);
    ladder(k)   two paths of k nodes joined by k rungs: 2k nodes, 3k - 2 edges;
    wheel(n)    a hub joined to every node of an (n-1)-cycle: n nodes, 2(n - 1) edges (n >= 4).
Motifs (causal part, they ARE the label), 5 nodes each, anchor node 0:
    0 ``cycle``  the 5-cycle 0-1-2-3-4-0                               (5 edges)
    1 ``house``  square 1-2-3-4-1 with a roof apex 0 joined to 1 and 4 (6 edges)
    2 ``crane``  square 1-2-3-4-1 with 0 joined to the opposite corners 1 and 3, i.e. K_{2,3}
                 (6 edges; DIR's ``synthetic_structsim.crane``).
Assembly: base nodes come first (ids 0..n_b-1), motif nodes last (n_b..n_b+4); the anchor edge
joins motif node 0 to a base node drawn uniformly. Then floor(noise * E0) extra edges are added
(E0 = undirected edges so far; DIR: noise 0.05), each drawn uniformly from the node pairs that are
not yet edges and have at least one base endpoint, so no noise edge ever joins two motif nodes.

Label / base correlation with bias b in (0, 1]:
    train (biased):     P(base = label) = b, each of the two other bases (1 - b) / 2
                        (DIR's ``p=[bias, (1-bias)/2, (1-bias)/2]``; b = 1/3 is unbiased);
    val, test:          base uniform over the three, independent of the label (DIR, CIGA).
``biased=True/False`` overrides this per call. Labels are balanced: each class gets
floor(N/3) or ceil(N/3) graphs (DIR draws exactly N/3 per class), in a random order.
Base sizes (inclusive ranges; DIR's ``graph_stats`` / ``graph_stats_large``):
    "small" (train, val default): tree height 0..2, ladder k 8..11, wheel n 15..19
    "large" (test default):       tree height 3..5, ladder k 30..49, wheel n 60..79
so the test set also carries a size shift (about 18 nodes per training graph, 90 per test graph
with the defaults). DIR's published set: 3000 / 1000 / 2000 graphs per class for
train / val / test (9000 / 3000 / 6000), the defaults of :func:`spurious_motif_splits`.

Node features: DIR and CIGA replace everything with ``torch.rand(N, 4)``, i.e. features carry no
information and only the structure does. ``features="random"`` (default) reproduces that from the
seed (uniform [0, 1), width ``feat_dim`` = 4); ``features="constant"`` gives all ones. Neither
reveals the base or the motif, so the label must be read off the structure.

Output graphs (DGL, undirected stored as both directions, no self-loops, connected):
    g.ndata['feat']   float32 (N, F)   node features
    g.ndata['motif']  bool    (N,)     node belongs to the motif
    g.edata['motif']  bool    (E,)     ground-truth mask: both endpoints in the motif
Edge e and edge e + E/2 are the two directions of one undirected edge.
Determinism: everything is drawn from ``numpy.random.default_rng([seed, split_id])``; the same
(seed, split, options) gives identical graphs and features; different seeds or splits differ.
"""
from __future__ import annotations

import math
import numbers
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

from .spmotif_shapes import (_MIN_SIZE, BASE_SIZE_PRESETS, BASES, MOTIF_EDGES,  # noqa: E402
                             MOTIF_NUM_NODES, MOTIFS, base_edges, ladder_edges, noise_edges, tree_edges,
                             wheel_edges)

__all__ = [
    "BASES", "MOTIFS", "SPLITS", "BASE_SIZE_PRESETS", "MOTIF_EDGES",
    "tree_edges", "ladder_edges", "wheel_edges", "base_edges", "noise_edges",
    "make_spurious_motif", "spurious_motif_splits",
]

SPLITS: Tuple[str, ...] = ("train", "val", "test")
FEATURES: Tuple[str, ...] = ("random", "constant")


# ----------------------------------------------------------------------------- argument checks
def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_bias(bias) -> float:
    if isinstance(bias, bool) or not isinstance(bias, numbers.Real):
        raise TypeError(f"bias must be a number in (0, 1], got {bias!r}")
    b = float(bias)
    if not (0.0 < b <= 1.0):  # also rejects NaN
        raise ValueError(f"bias must lie in (0, 1], got {bias}")
    return b


def _check_split(split) -> str:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    return split


def _resolve_base_size(base_size, split: str) -> Dict[str, Tuple[int, int]]:
    if base_size is None:
        base_size = "large" if split == "test" else "small"
    if isinstance(base_size, str):
        if base_size not in BASE_SIZE_PRESETS:
            raise ValueError(f"unknown base_size preset {base_size!r}; expected one of "
                             f"{sorted(BASE_SIZE_PRESETS)} or a mapping base -> (low, high)")
        return dict(BASE_SIZE_PRESETS[base_size])
    if not isinstance(base_size, Mapping):
        raise TypeError(f"base_size must be a preset name or a mapping, got {base_size!r}")
    unknown = set(base_size) - set(BASES)
    missing = set(BASES) - set(base_size)
    if unknown or missing:
        raise ValueError(f"base_size must give a (low, high) range for exactly {BASES}; "
                         f"unknown {sorted(unknown)}, missing {sorted(missing)}")
    out = {}
    for name in BASES:
        rng_ = base_size[name]
        if isinstance(rng_, numbers.Integral) and not isinstance(rng_, bool):
            rng_ = (rng_, rng_)
        try:
            lo, hi = (int(v) for v in rng_)
        except (TypeError, ValueError):
            raise ValueError(f"base_size[{name!r}] must be an int or an inclusive (low, high) pair, "
                             f"got {base_size[name]!r}") from None
        if lo > hi:
            raise ValueError(f"base_size[{name!r}] = ({lo}, {hi}) has low > high")
        if lo < _MIN_SIZE[name]:
            raise ValueError(f"base_size[{name!r}] low end must be >= {_MIN_SIZE[name]}, got {lo}")
        out[name] = (lo, hi)
    return out


def _check_branching(tree_branching) -> Tuple[int, ...]:
    if isinstance(tree_branching, numbers.Integral) and not isinstance(tree_branching, bool):
        tree_branching = (tree_branching,)
    try:
        rs = tuple(int(r) for r in tree_branching)
    except TypeError:
        raise TypeError(f"tree_branching must be an int or a sequence of ints, got {tree_branching!r}") from None
    if not rs or min(rs) < 2:
        raise ValueError(f"tree_branching values must be >= 2, got {tree_branching!r}")
    return rs


# ----------------------------------------------------------------------------- generation
def _draw_bases(rng: np.random.Generator, labels: np.ndarray, bias: float, biased: bool) -> np.ndarray:
    n = labels.shape[0]
    if not biased:
        return rng.integers(0, 3, size=n)
    match = rng.random(n) < bias
    other = (labels + 1 + rng.integers(0, 2, size=n)) % 3  # one of the two non-matching bases
    return np.where(match, labels, other)


def _check_noise_features(noise, features, feat_dim) -> int:
    """Validates ``noise`` and ``features``; returns ``feat_dim`` as a checked int."""
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not (0.0 <= noise < 1.0):
        raise ValueError(f"noise must be a number in [0, 1), got {noise!r}")
    if features not in FEATURES:
        raise ValueError(f"unknown features {features!r}; expected one of {FEATURES}")
    return _check_int("feat_dim", feat_dim, 1)


def _build_graphs(rng, labels, bases, size, r, anchor_u, noise: float, features: str, feat_dim: int):
    """Graph i from its drawn base, size, branching and anchor position, in index order (the stream's
    order); returns the graphs and (N,) arrays of anchors, base node counts and noise edge counts."""
    num_graphs = len(labels)
    graphs: List[dgl.DGLGraph] = []
    anchors, n_base, n_noise = (np.empty(num_graphs, dtype=np.int64) for _ in range(3))
    for i in range(num_graphs):
        n_b, e_b = base_edges(BASES[bases[i]], size[i], r[i] if bases[i] == 0 else 2)
        a = min(int(anchor_u[i] * n_b), n_b - 1)
        g, k = _motif_graph(rng, n_b, e_b, MOTIFS[labels[i]], a, noise, features, feat_dim)
        graphs.append(g)
        anchors[i], n_base[i], n_noise[i] = a, n_b, k
    return graphs, anchors, n_base, n_noise


def make_spurious_motif(num_graphs: int, bias: float, seed: int, *, split: str = "train",
                        base_size: Union[str, Mapping[str, Tuple[int, int]], None] = None,
                        biased: Optional[bool] = None,
                        tree_branching: Union[int, Sequence[int]] = (2, 3),
                        noise: float = 0.05, features: str = "random", feat_dim: int = 4,
                        ) -> Tuple[List[dgl.DGLGraph], torch.Tensor, dict]:
    """Generate ``num_graphs`` Spurious-Motif graphs of one split (rules in the module docstring).

    Args:
        num_graphs: number of graphs N (>= 1); labels are balanced to within one graph.
        bias: b in (0, 1], P(base index == label) in a biased split.
        seed: non-negative integer; the stream is ``default_rng([seed, split_id])``.
        split: "train" (biased, small bases), "val" (unbiased, small) or "test" (unbiased, large).
        base_size: "small", "large" or {"tree": (h_lo, h_hi), "ladder": (k_lo, k_hi),
            "wheel": (n_lo, n_hi)} (inclusive); None picks the split's default.
        biased: override whether the base follows the bias rule (default: only for "train").
        tree_branching: branching factor(s) r of tree bases, drawn uniformly (DIR: 2 or 3).
        noise: extra edges per graph = floor(noise * edges before noise) (DIR: 0.05; 0 for none).
        features: "random" (uniform [0, 1), DIR/CIGA) or "constant" (ones).
        feat_dim: feature width F.
    Returns:
        graphs: list of N DGLGraphs (``feat`` (N_i, F) float32, ``motif`` node and edge bool masks);
        labels: LongTensor (N,), motif index 0 cycle, 1 house, 2 crane;
        info: dict with LongTensors (N,) ``base`` (0 tree, 1 ladder, 2 wheel), ``base_size``
            (h, k or n), ``tree_branching`` (r, 0 for non-trees), ``anchor`` (base node joined to
            motif node 0), ``num_base_nodes``, ``num_noise_edges``; and the settings used.
    """
    num_graphs = _check_int("num_graphs", num_graphs, 1)
    bias = _check_bias(bias)
    seed = _check_int("seed", seed, 0)
    split = _check_split(split)
    sizes = _resolve_base_size(base_size, split)
    branching = _check_branching(tree_branching)
    if biased is None:
        biased = split == "train"
    feat_dim = _check_noise_features(noise, features, feat_dim)

    rng = np.random.default_rng([seed, SPLITS.index(split)])
    # balanced labels in random order
    labels = np.arange(num_graphs, dtype=np.int64) % 3
    labels = labels[rng.permutation(num_graphs)]
    bases = _draw_bases(rng, labels, bias, bool(biased)).astype(np.int64)
    size_draw = np.stack([rng.integers(sizes[b][0], sizes[b][1] + 1, size=num_graphs) for b in BASES], 1)
    size = size_draw[np.arange(num_graphs), bases].astype(np.int64)
    r = np.asarray(branching, dtype=np.int64)[rng.integers(0, len(branching), size=num_graphs)]
    r = np.where(bases == 0, r, 0)
    anchor_u = rng.random(num_graphs)

    graphs, anchors, n_base_all, n_noise = _build_graphs(rng, labels, bases, size, r, anchor_u, noise, features,
                                                         feat_dim)
    info = {
        "split": split, "bias": bias, "biased": bool(biased), "seed": seed,
        "base": torch.from_numpy(bases), "base_size": torch.from_numpy(size),
        "tree_branching": torch.from_numpy(r), "anchor": torch.from_numpy(anchors),
        "num_base_nodes": torch.from_numpy(n_base_all), "num_noise_edges": torch.from_numpy(n_noise),
        "base_names": BASES, "motif_names": MOTIFS, "base_size_ranges": sizes,
        "noise": float(noise), "features": features, "feat_dim": feat_dim, "num_classes": 3,
    }
    return graphs, torch.from_numpy(labels), info


def _motif_graph(rng, n_b: int, e_b: np.ndarray, motif: str, anchor: int, noise: float, features: str,
                 feat_dim: int) -> Tuple[dgl.DGLGraph, int]:
    """One graph: base (``n_b`` nodes, edges ``e_b``), the motif's nodes after it joined to base node
    ``anchor``, floor(noise * edges) noise edges, node features; and the number of noise edges."""
    n = n_b + MOTIF_NUM_NODES
    e = np.concatenate([e_b, MOTIF_EDGES[motif] + n_b, np.array([[anchor, n_b]], dtype=np.int64)])
    k = math.floor(noise * e.shape[0])
    if k:
        e = np.concatenate([e, noise_edges(rng, n, n_b, e, k)])
    if features == "random":
        x = torch.from_numpy(rng.random((n, feat_dim), dtype=np.float32))
    else:
        x = torch.ones(n, feat_dim)
    src = torch.from_numpy(np.concatenate([e[:, 0], e[:, 1]]))
    dst = torch.from_numpy(np.concatenate([e[:, 1], e[:, 0]]))
    g = dgl.graph((src, dst), num_nodes=n)
    g.ndata["feat"] = x
    node_motif = torch.arange(n) >= n_b
    g.ndata["motif"] = node_motif
    g.edata["motif"] = node_motif[src] & node_motif[dst]
    return g, k


def spurious_motif_splits(bias: float, seed: int, n_train: int = 9000, n_val: int = 3000,
                          n_test: int = 6000, *, base_size: Union[str, Mapping, None] = "small",
                          test_base_size: Union[str, Mapping, None] = "large",
                          **options) -> Dict[str, dict]:
    """Train / val / test sets of Spurious-Motif with DIR's rules and (default) sizes.

    Train is biased with ``bias``; val and test are unbiased. ``base_size`` sets train and val base
    sizes, ``test_base_size`` the test ones (DIR: "small" / "large"); pass "small" for both to
    remove the size shift. ``options`` go to :func:`make_spurious_motif` (``tree_branching``,
    ``noise``, ``features``, ``feat_dim``, ``biased`` is not allowed here).
    Returns {"train" | "val" | "test": {"graphs", "labels" (N,), "base" (N,), "info"}}.
    """
    if "biased" in options or "split" in options:
        raise TypeError("spurious_motif_splits fixes `split` and `biased` per split; "
                        "call make_spurious_motif for other combinations")
    counts = {"train": n_train, "val": n_val, "test": n_test}
    for name, c in counts.items():
        _check_int(f"n_{name}", c, 1)
    sizes = {"train": base_size, "val": base_size, "test": test_base_size}
    out = {}
    for name in SPLITS:
        graphs, labels, info = make_spurious_motif(counts[name], bias, seed, split=name,
                                                   base_size=sizes[name], **options)
        out[name] = {"graphs": graphs, "labels": labels, "base": info["base"], "info": info}
    return out
