"""Mixing augmentations: Manifold Mixup of pooled graph embeddings, and G-Mixup's class graphons.

Manifold Mixup (Verma et al. 2019, graph form): for pooled embeddings h (B, d), labels y (B,) and a
permutation pi of the batch, h' = lam h + (1 - lam) h[pi] and the soft label
y' = lam onehot(y) + (1 - lam) onehot(y[pi]) (rows sum to one); the head is trained on (h', y').

G-Mixup (Han et al. 2022), with the estimator of its released code:

1. :func:`sorted_adjacency`: a graph's dense adjacency with its nodes sorted by degree (descending,
   ties by node id), zero-padded or cut to ``size`` nodes: the alignment G-Mixup uses;
2. :func:`usvt`: universal singular value thresholding of the mean aligned adjacency of a class:
   singular values below ``threshold * sqrt(size)`` are set to 0, the result clipped to [0, 1]
   (G-Mixup's ``universal_svd``): the class graphon W (size, size) as a step function. The
   function's default threshold is 2.02 (``universal_svd``'s default); G-Mixup's training script
   calls it with 0.2, which Table 4 uses (:mod:`.gmixup`);
3. :func:`mix_graphons`: W = lam W_a + (1 - lam) W_b, the label lam y_a + (1 - lam) y_b;
4. :func:`sample_graphs`: graphs of ``size`` nodes with an edge i - j (both directions, i != j)
   with probability W_ij, independently (optionally without the nodes left isolated).

:mod:`.gmixup` puts these steps together as G-Mixup's script does (how many graphs, which pairs of
classes, which lam).

A limit of this estimator, kept as G-Mixup has it: the threshold applies to the MEAN of a class's
aligned graphs as if it were one noisy graph, so block structure whose singular value is below
threshold x sqrt(size) is erased even when many graphs pin it down (a test shows a two-block model
with a sparse second block coming out rank one at 2.02, and recovered at G-Mixup's 0.2).
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

__all__ = ["manifold_mixup", "sorted_adjacency", "usvt", "estimate_graphon", "mix_graphons", "sample_graphs"]


def manifold_mixup(h: torch.Tensor, y: torch.Tensor, num_classes: int, lam: float,
                   perm: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """(mixed embeddings (B, d), soft labels (B, num_classes)); ``perm`` default: reversed batch."""
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must be in [0, 1], got {lam}")
    perm = torch.arange(h.shape[0] - 1, -1, -1) if perm is None else perm
    onehot = torch.nn.functional.one_hot(y.long(), num_classes).to(h.dtype)
    return lam * h + (1 - lam) * h[perm], lam * onehot + (1 - lam) * onehot[perm]


def sorted_adjacency(g, size: int) -> torch.Tensor:
    """Dense (size, size) adjacency of ``g`` with nodes sorted by degree, descending (step 1).

    deg_i = #{edges (i, j)} (out-degree; the degree for graphs stored with both directions); rank
    r(i) = position of i in the order (-deg_i, i); A'[r(i), r(j)] = 1 for every edge (i, j) with
    both ranks < size. Rows and columns past the graph's node count are zero. O(E) time.
    """
    n = g.num_nodes()
    src, dst = (t.long() for t in g.edges())
    deg = torch.bincount(src, minlength=n)
    order = torch.sort(-deg, stable=True).indices          # ties: lower node id first
    rank = torch.empty(n, dtype=torch.long)
    rank[order] = torch.arange(n)
    rs, rd = rank[src], rank[dst]
    inside = (rs < size) & (rd < size)
    out = torch.zeros(size, size)
    out[rs[inside], rd[inside]] = 1.0
    return out


def usvt(mean_adjacency: torch.Tensor, threshold: float = 2.02) -> torch.Tensor:
    """Universal singular value thresholding of a mean aligned adjacency (step 2)."""
    u, s, vh = torch.linalg.svd(mean_adjacency.to(torch.float64))
    s = torch.where(s < threshold * mean_adjacency.shape[0] ** 0.5, torch.zeros_like(s), s)
    return (u @ torch.diag(s) @ vh).clamp(0.0, 1.0).to(mean_adjacency.dtype)


def estimate_graphon(graphs: Sequence, size: Optional[int] = None, threshold: float = 2.02) -> torch.Tensor:
    """A class's graphon (size, size) from its graphs (steps 1-2); size default: the largest graph."""
    if not graphs:
        raise ValueError("estimate_graphon needs at least one graph")
    size = size or max(g.num_nodes() for g in graphs)
    return usvt(torch.stack([sorted_adjacency(g, size) for g in graphs]).mean(0), threshold)


def mix_graphons(wa: torch.Tensor, wb: torch.Tensor, lam: float) -> torch.Tensor:
    if wa.shape != wb.shape:
        raise ValueError(f"graphons of different sizes {tuple(wa.shape)} and {tuple(wb.shape)}")
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must be in [0, 1], got {lam}")
    return lam * wa + (1 - lam) * wb


def sample_graphs(w: torch.Tensor, n: int, generator: Optional[torch.Generator] = None,
                  drop_isolated: bool = False) -> List:
    """``n`` undirected graphs from graphon ``w`` (step 4), each with w's size in nodes.

    ``drop_isolated=True`` removes the nodes left without an edge, as G-Mixup's sampler does
    (``two_graphons_mixup``); a graph without any edge then keeps one node.
    """
    size = w.shape[0]
    iu = torch.triu_indices(size, size, offset=1)
    probs = w[iu[0], iu[1]].clamp(0, 1).float()
    out = []
    for _ in range(n):
        keep = torch.bernoulli(probs, generator=generator).bool()
        s, d = iu[0][keep], iu[1][keep]
        nodes = size
        if drop_isolated:
            used = torch.unique(torch.cat([s, d]))
            nodes = max(int(used.numel()), 1)
            relabel = torch.full((size,), -1, dtype=torch.long)
            relabel[used] = torch.arange(used.numel())
            s, d = relabel[s], relabel[d]
        out.append(dgl.graph((torch.cat([s, d]), torch.cat([d, s])), num_nodes=nodes))
    return out
