"""ASAP pooling (Ranjan et al., AAAI 2020, arXiv 1911.07979) on batched DGL graphs, and the ASAP
graph classifier of the OOD baselines. DGL has no ASAP; this follows the paper and PyG's
``ASAPooling`` (read, then written here for DGL).

For a graph with N nodes, features X (N, d), edges j -> i with weights w_ji, after adding a
self-loop (weight 1) to every node that has none:

    cluster of i      c_i = {j : j -> i}                  (the 1-hop in-neighbourhood, with i itself)
    master query      m_i = W_m max_{j in c_i} x_j + b_m                                     (N, d)
    attention         a_ji = softmax_{j in c_i} LeakyReLU_0.2(w_a . [m_i | x_j] + b_a)    (E,)  (dropout)
    cluster           x^c_i = sum_{j in c_i} a_ji x_j                                         (N, d)
    fitness           phi_i = sigmoid(LEConv(X^c)_i),  LEConv(X)_i = W_3 x_i + b_3
                                  + sum_{j -> i} (W_1 x_j + b_1 - W_2 x_i)                 (N,)
    selection         the top k_g = ceil(ratio * N_g) clusters of each graph g by phi (ties: lower index)
    pooled features   X' = phi_perm * X^c_perm                                                (K, d)
    pooled graph      A' = S^T A S without its diagonal, S = [a_ji] restricted to the kept clusters
                      (N, K), A the weighted adjacency with the self-loops            (K, K) edge weights

:class:`ASAPool` returns the pooled batched graph (its edges carry ``edge_weight``), the pooled
features and the kept node indices (grouped by graph, fitness descending). :class:`ASAPClassifier`
is the benchmark model of PyG's kernel benchmark (``benchmark/kernel/asap.py``), which the OOD
papers' ASAP baseline uses: L graph convolutions (:class:`MeanGraphConv`, mean aggregation with
edge weights and a root term), an ASAP pooling after every second convolution but the last, the
mean readout after every convolution concatenated (jumping knowledge), then Linear - ReLU -
Dropout(0.5) - Linear. (PyG's model pools after convolutions 2, 4, ... counting its input
convolution; here convolution i = 1, 3, ... counting from 0, the same places.)
"""
from __future__ import annotations

import math
import warnings
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .. import _compat

_compat.install()
import dgl  # noqa: E402

__all__ = ["LEConv", "ASAPool", "ASAPClassifier", "MeanGraphConv", "with_self_loops"]


def with_self_loops(g, w: Optional[torch.Tensor]) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(src, dst, weights) of ``g`` plus a weight-1 self-loop for every node that has none."""
    src, dst = (t.long() for t in g.edges())
    w = torch.ones(src.shape[0], dtype=torch.get_default_dtype(), device=src.device) if w is None else w
    has = torch.zeros(g.num_nodes(), dtype=torch.bool, device=src.device)
    has[src[src == dst]] = True
    missing = (~has).nonzero().flatten()
    return (torch.cat([src, missing]), torch.cat([dst, missing]),
            torch.cat([w, torch.ones(len(missing), dtype=w.dtype, device=w.device)]))


class LEConv(nn.Module):
    """Local extremum convolution: out_i = W_3 x_i + b_3 + sum_{j -> i} w_ji (W_1 x_j + b_1 - W_2 x_i)."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.lin1, self.lin2, self.lin3 = nn.Linear(in_dim, out_dim), nn.Linear(in_dim, out_dim, bias=False), \
            nn.Linear(in_dim, out_dim)

    def forward(self, x, src, dst, w=None):
        msg = self.lin1(x)[src] - self.lin2(x)[dst]
        if w is not None:
            msg = msg * w.view(-1, 1)
        return self.lin3(x).index_add(0, dst, msg)


def _segment_softmax(score: torch.Tensor, index: torch.Tensor, n: int) -> torch.Tensor:
    top = score.new_full((n,), -math.inf).scatter_reduce(0, index, score, "amax", include_self=True)
    e = torch.exp(score - top[index])
    return e / e.new_zeros(n).index_add(0, index, e)[index]


def _top_k_per_graph(fitness: torch.Tensor, graph_of: torch.Tensor, counts: torch.Tensor, ratio: float):
    """Indices of the top ceil(ratio * n_g) nodes of each graph, grouped by graph, fitness descending."""
    order = torch.sort(-fitness, stable=True).indices
    order = order[torch.sort(graph_of[order], stable=True).indices]
    starts = torch.cumsum(counts, 0) - counts
    rank = torch.arange(len(order), device=order.device) - starts[graph_of[order]]
    k = torch.ceil(ratio * counts.to(torch.float64) - 1e-9).long()
    return order[rank < k[graph_of[order]]], k


class ASAPool(nn.Module):
    """ASAP pooling (module docstring). ``forward(g, x, edge_weight=None) -> (g', x', perm)``; the
    edges of g' carry their weights in ``g'.edata["edge_weight"]``."""

    def __init__(self, dim: int, ratio: float = 0.5, dropout: float = 0.0, negative_slope: float = 0.2):
        super().__init__()
        if not 0.0 < ratio <= 1.0:
            raise ValueError(f"ratio must be in (0, 1], got {ratio}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.ratio, self.dropout, self.negative_slope = float(ratio), float(dropout), float(negative_slope)
        self.lin, self.att, self.score = nn.Linear(dim, dim), nn.Linear(2 * dim, 1), LEConv(dim, 1)

    def forward(self, g, x: torch.Tensor, edge_weight: Optional[torch.Tensor] = None):
        n = g.num_nodes()
        src, dst, w = with_self_loops(g, edge_weight)
        q = x.new_full(x.shape, -math.inf).scatter_reduce(0, dst.view(-1, 1).expand(-1, x.shape[1]), x[src],
                                                          "amax", include_self=True)
        a = self.att(torch.cat([self.lin(q)[dst], x[src]], dim=-1)).view(-1)
        a = _segment_softmax(F.leaky_relu(a, self.negative_slope), dst, n)
        a = F.dropout(a, self.dropout, self.training)
        xc = x.new_zeros(x.shape).index_add(0, dst, x[src] * a.view(-1, 1))
        fitness = torch.sigmoid(self.score(xc, src, dst).view(-1))
        counts = g.batch_num_nodes()
        graph_of = torch.repeat_interleave(torch.arange(len(counts), device=x.device), counts)
        perm, k = _top_k_per_graph(fitness, graph_of, counts, self.ratio)
        new_x = xc[perm] * fitness[perm].view(-1, 1)
        return self._coarsen(src, dst, w, a, perm, n, k), new_x, perm

    @staticmethod
    def _coarsen(src, dst, w, a, perm, n, k):
        col = torch.full((n,), -1, dtype=torch.long, device=perm.device)
        col[perm] = torch.arange(len(perm), device=perm.device)
        keep = col[dst] >= 0                                    # S[j, p] = a_ji for kept clusters i
        with warnings.catch_warnings():  # torch's notes on sparse invariants and CSR being beta
            warnings.simplefilter("ignore", UserWarning)
            S = torch.sparse_coo_tensor(torch.stack([src[keep], col[dst[keep]]]), a[keep], (n, len(perm)))
            A = torch.sparse_coo_tensor(torch.stack([src, dst]), w, (n, n))
            new = torch.sparse.mm(S.t().coalesce(), torch.sparse.mm(A.coalesce(), S.coalesce())).coalesce()
        (rows, cols), vals = new.indices(), new.values()
        off = rows != cols
        rows, cols, vals = rows[off], cols[off], vals[off]
        pg = dgl.graph((rows, cols), num_nodes=len(perm))
        pg.edata["edge_weight"] = vals
        graph_of_new = torch.repeat_interleave(torch.arange(len(k), device=k.device), k)
        pg.set_batch_num_nodes(k)
        pg.set_batch_num_edges(torch.bincount(graph_of_new[rows], minlength=len(k)))
        return pg


class MeanGraphConv(nn.Module):
    """out_i = W_root x_i + W_rel mean_{j -> i} w_ji x_j + b  (PyG's GraphConv with aggr="mean")."""

    def __init__(self, in_dim: int, out_dim: int):
        super().__init__()
        self.rel, self.root = nn.Linear(in_dim, out_dim), nn.Linear(in_dim, out_dim, bias=False)

    def forward(self, g, x, w=None):
        src, dst = (t.long() for t in g.edges())
        msg = x[src] if w is None else x[src] * w.view(-1, 1)
        deg = torch.bincount(dst, minlength=g.num_nodes()).clamp(min=1).to(x.dtype).view(-1, 1)
        return self.rel(x.new_zeros(x.shape).index_add(0, dst, msg) / deg) + self.root(x)


class ASAPClassifier(nn.Module):
    """The ASAP graph classifier (module docstring). ``forward(g, x) -> (B, C)`` logits."""

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 64, num_layers: int = 3,
                 ratio: float = 0.8, dropout: float = 0.0):
        super().__init__()
        if num_layers < 2:
            raise ValueError(f"num_layers must be >= 2, got {num_layers}")
        self.convs = nn.ModuleList([MeanGraphConv(in_dim if i == 0 else hidden, hidden) for i in range(num_layers)])
        # one pooling after convolutions 1, 3, ... but the last (PyG builds num_layers // 2 of them,
        # one of which stays unused for an even num_layers)
        self.pools = nn.ModuleList([ASAPool(hidden, ratio, dropout) for _ in range((num_layers - 1) // 2)])
        self.lin1, self.lin2 = nn.Linear(num_layers * hidden, hidden), nn.Linear(hidden, num_classes)

    def forward(self, g, x: torch.Tensor) -> torch.Tensor:
        w, xs = None, []
        for i, conv in enumerate(self.convs):
            x = F.relu(conv(g, x, w))
            xs.append(dgl.ops.segment_reduce(g.batch_num_nodes(), x, "mean"))
            if i % 2 == 1 and i < len(self.convs) - 1:
                g, x, _ = self.pools[i // 2](g, x, w)
                w = g.edata["edge_weight"]
        h = F.dropout(F.relu(self.lin1(torch.cat(xs, dim=-1))), 0.5, self.training)
        return self.lin2(h)
