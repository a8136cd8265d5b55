"""CIGA model (Chen et al. 2022, arXiv 2202.05441): featurizer, edge scorer, per-graph edge split.

Shapes: a batched DGL graph ``g`` with B graphs, N nodes, E (directed) edges; node features
``x`` (N, F).

    h       = featurizer.node_embed(g, x)                      (N, d)   a GNN (no head)
    s_e     = MLP([h_src(e) | h_dst(e)])                        (E,)     edge score, MLP 2d -> 4d -> 1
    C_g     = the top k_g = ceil(r * E_g) non-loop edges of graph g by s_e   ("causal" edges)
    S_g     = the other non-loop edges of graph g                           ("spurious" edges)
    z_c     = classifier.embed(G_c, x, w_c),  w_c = sigmoid(s_e) on C, 1 on self-loops   (B, d)
    z_s     = classifier.embed(G_s, x, w_s),  w_s = sigmoid(-s_e) on S, 1 on self-loops  (B, d)
    causal logits = classifier.head(z_c)  (B, C)        spurious logits = spurious_head(z_s)  (B, C)

Rules (facts checked against LFhase/CIGA's public code, then our own DGL implementation):

* Top-k per graph, vectorised. E_g counts graph g's edges that are not self-loops. Edges are sorted
  by (graph id, -score) with a stable sort (ties: lower edge id first) and ranked within their
  graph; an edge is causal iff its rank < k_g. ``ceil`` is taken with a 1e-9 tolerance so that a
  product that is an integer up to float rounding (0.55 * 100 = 55.00000000000001) keeps exactly
  that many edges (the reference's float ceil would keep 56). Since r > 0, every graph with at least
  one edge keeps at least one; a graph with no edges keeps none; r = 1 leaves S empty.
* Directed edges are scored separately: the two directions of an undirected edge get different
  scores and may land on different sides (as in the reference, which never symmetrises).
* Nodes are kept. Both subgraphs contain ALL nodes of the batch; only edges are removed
  (``dgl.remove_edges``, which keeps the batch information and the order of the remaining edges).
  A graph whose causal (or spurious) edge set is empty therefore still gets a representation from
  its nodes' own features. The reference instead drops every node not touched by a selected edge
  (PyG ``relabel``), which changes the mean readout and silently removes edgeless graphs from the
  batch (its B rows no longer align with the labels).
* Self-loops (a GCN pipeline adds them, as ``dgl.nn.GraphConv`` does not) are not scored: they are
  excluded from ranking and from E_g, and are kept in BOTH subgraphs with weight 1, so every node
  keeps its own message and GCN degrees stay >= 1. This mirrors the reference, whose GCN self
  term lies outside the selectable edges (PyG's explain mode appends weight-1 loops).
* Edge weights multiply messages (``edge_weight`` of dgl's GINConv / GraphConv). Sigmoid is applied
  to the raw score as the reference does (PyG explain mode applies ``sigmoid`` to the edge mask);
  gradients reach the edge scorer and the featurizer only through these weights (top-k itself is
  piecewise constant). GraphConv's degree normalisation counts the edges of the subgraph.
* The classifier reads the raw node features (the reference's default ``c_in="raw"``), or with
  ``classifier_input="featurizer"`` the featurizer's node embeddings (``-c_in feat``, which CIGA's
  published NCI1, NCI109 and Spurious-Motif scripts use). CIGA's contrastive loss compares
  ``contrast_rep``: z_c, or with ``contrast_rep="featurizer"`` the featurizer's embeddings summed
  over the nodes touched by causal edges (``-c_rep feat``). The causal head is the classifier's
  linear head, or with ``causal_head="mlp"`` an MLP d -> 2d -> C as in CIGA's code. The spurious
  head is a separate MLP d -> 2d -> C (the reference appends one more C -> C linear map, a
  redundant composition we drop).
* The spurious pass reuses the classifier GNN (as the reference) but does not update its batch-norm
  running statistics (they normalise with batch statistics as usual): prediction only ever runs on
  causal subgraphs, so the running statistics should describe those (the reference updates them
  with both passes).
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional, Tuple

import torch
from torch import nn

from .. import _compat

_compat.install()
import dgl  # noqa: E402

from .gnn import GNNClassifier  # noqa: E402

__all__ = ["CIGAModel", "CIGAOutput", "split_edges_per_graph", "ciga_subgraphs"]

_CEIL_TOL = 1e-9


def split_edges_per_graph(batch_num_edges: torch.Tensor, scores: torch.Tensor, ratio: float,
                          loop_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Causal-edge mask of a batch: per graph, the top ceil(ratio * E_g) non-loop edges by score.

    Args:
        batch_num_edges: (B,) edges per graph, in batch order (edges of graph 0 come first).
        scores: (E,) edge scores, E = batch_num_edges.sum(); only their order matters.
        ratio: r in (0, 1].
        loop_mask: optional (E,) bool, True for self-loops (never causal, not counted in E_g).
    Returns:
        (E,) bool, True for causal edges. No Python loop over graphs.
    """
    if not 0.0 < float(ratio) <= 1.0:
        raise ValueError(f"CIGA ratio r must be in (0, 1], got {ratio}")
    counts = torch.as_tensor(batch_num_edges, dtype=torch.long, device=scores.device)
    if counts.dim() != 1 or (counts < 0).any():
        raise ValueError("batch_num_edges must be a 1-D tensor of non-negative counts")
    n_edges = int(counts.sum())
    if scores.dim() != 1 or scores.shape[0] != n_edges:
        raise ValueError(f"scores must have shape ({n_edges},) (one per edge), got {tuple(scores.shape)}")
    if n_edges == 0:
        return torch.zeros(0, dtype=torch.bool, device=scores.device)
    s = scores.detach()
    if not torch.isfinite(s).all():
        raise ValueError("edge scores contain NaN or inf")
    if loop_mask is None:
        loop_mask = torch.zeros(n_edges, dtype=torch.bool, device=s.device)
    elif loop_mask.shape != (n_edges,) or loop_mask.dtype != torch.bool:
        raise ValueError(f"loop_mask must be a bool tensor of shape ({n_edges},)")
    num_graphs = counts.shape[0]
    gid = torch.repeat_interleave(torch.arange(num_graphs, device=s.device), counts)
    # Stable two-key sort: by score descending, then (stable) by (graph id, is_loop) ascending, so
    # within each graph the non-loop edges come first in descending score order.
    by_score = torch.sort(-s, stable=True).indices
    group = gid * 2 + loop_mask.long()
    order = by_score[torch.sort(group[by_score], stable=True).indices]
    start = torch.cumsum(counts, 0) - counts                      # (B,) first position of each graph
    rank = torch.arange(n_edges, device=s.device) - start[gid[order]]
    n_candidates = counts - torch.zeros_like(counts).scatter_add_(0, gid, loop_mask.long())
    k = torch.ceil(n_candidates.double() * float(ratio) - _CEIL_TOL).long()
    k = torch.maximum(k, (n_candidates > 0).long())              # r > 0: never 0 of >= 1 edges
    keep_sorted = rank < k[gid[order]]
    mask = torch.zeros(n_edges, dtype=torch.bool, device=s.device)
    mask[order] = keep_sorted
    return mask & ~loop_mask


def _self_loops(g: dgl.DGLGraph) -> torch.Tensor:
    src, dst = g.edges()
    return src == dst


def ciga_subgraphs(g: dgl.DGLGraph, scores: torch.Tensor, ratio: float
                   ) -> Tuple[dgl.DGLGraph, torch.Tensor, dgl.DGLGraph, torch.Tensor, torch.Tensor]:
    """Split a batched graph into causal / spurious subgraphs with message weights.

    Returns ``(g_c, w_c, g_s, w_s, causal_mask)``: ``g_c``/``g_s`` keep all nodes and the batch
    information; ``w_c`` (E_c,) = sigmoid(score) on causal edges and 1 on self-loops, ``w_s``
    (E_s,) = sigmoid(-score) on spurious edges and 1 on self-loops, both in the subgraph's edge
    order; ``causal_mask`` (E,) bool over the input edges.
    """
    if scores.shape != (g.num_edges(),):
        raise ValueError(f"scores must have shape ({g.num_edges()},), got {tuple(scores.shape)}")
    loops = _self_loops(g)
    causal = split_edges_per_graph(g.batch_num_edges(), scores, ratio, loops)
    spurious = ~causal & ~loops
    one = torch.ones_like(scores)
    w_all_c = torch.where(loops, one, torch.sigmoid(scores))
    w_all_s = torch.where(loops, one, torch.sigmoid(-scores))
    keep_c = causal | loops
    keep_s = spurious | loops
    g_c = dgl.remove_edges(g, torch.nonzero(~keep_c).view(-1).to(g.idtype))
    g_s = dgl.remove_edges(g, torch.nonzero(~keep_s).view(-1).to(g.idtype))
    return g_c, w_all_c[keep_c], g_s, w_all_s[keep_s], causal


def _pool_causal_nodes(g: dgl.DGLGraph, h: torch.Tensor, causal: torch.Tensor) -> torch.Tensor:
    """(B, d): per graph, h summed over the nodes touched by a causal edge (CIGA's ``-c_rep feat``:
    the featurizer's embeddings add-pooled over the causal subgraph's nodes); 0 for none."""
    src, dst = g.edges()
    touched = torch.zeros(g.num_nodes(), dtype=torch.bool, device=h.device)
    touched[src.long()[causal]] = True
    touched[dst.long()[causal]] = True
    graph_of = torch.repeat_interleave(torch.arange(g.batch_size, device=h.device), g.batch_num_nodes())
    return h.new_zeros(g.batch_size, h.shape[1]).index_add(0, graph_of, h * touched.view(-1, 1).to(h.dtype))


@contextmanager
def _frozen_running_stats(module: nn.Module):
    """Batch norms keep normalising with batch statistics but do not update running statistics."""
    saved = []
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training and m.track_running_stats:
            saved.append((m, m.momentum, m.num_batches_tracked.clone()))
            m.momentum = 0.0
    try:
        yield
    finally:
        for m, momentum, tracked in saved:
            m.momentum = momentum
            m.num_batches_tracked.copy_(tracked)


@dataclass
class CIGAOutput:
    """Everything one CIGA forward pass produces (shapes for B graphs, E edges, C classes, d width)."""

    causal_logits: torch.Tensor                 # (B, C)
    causal_rep: torch.Tensor                    # (B, d) pooled causal-subgraph representation
    scores: torch.Tensor                        # (E,) raw edge scores (self-loops: unused)
    causal_mask: torch.Tensor                   # (E,) bool
    spurious_logits: Optional[torch.Tensor] = None  # (B, C)
    spurious_rep: Optional[torch.Tensor] = None     # (B, d)
    contrast_rep: Optional[torch.Tensor] = None     # (B, d) what CIGA's contrastive loss compares


class CIGAModel(nn.Module):
    """CIGA: featurizer GNN + edge scorer + classifier GNN on the causal subgraph.

    Args:
        in_dim, num_classes, hidden, num_layers, conv, readout, dropout: as
            :class:`hma_graph.models.GNNClassifier` (used for both the featurizer and the
            classifier).
        ratio: r, the fraction of each graph's (non-loop) edges kept as causal (docs/PROTOCOLS.md B/C).
        featurizer_layers: depth of the featurizer (default ``num_layers``).
        classifier_input: "raw" (default: the node features x) or "featurizer" (the featurizer's
            node embeddings h; CIGA's ``-c_in feat``).
        contrast_rep: "classifier" (default: the pooled causal representation z_c) or
            "featurizer" (h summed over the nodes touched by causal edges; CIGA's ``-c_rep feat``).
        causal_head: "linear" (default) or "mlp" (d -> 2d -> C, CIGA's causal head).
    ``forward(g, x) -> (B, C)`` causal logits (used for prediction); ``embed(g, x) -> (B, d)``
    causal representation; ``head`` the causal head; ``outputs(g, x, spurious)`` everything.
    """

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 64, num_layers: int = 3,
                 conv: str = "gin", readout: str = "mean", dropout: float = 0.0,
                 ratio: float = 0.5, featurizer_layers: Optional[int] = None, classifier_input: str = "raw",
                 contrast_rep: str = "classifier", causal_head: str = "linear"):
        super().__init__()
        if not 0.0 < float(ratio) <= 1.0:
            raise ValueError(f"CIGA ratio r must be in (0, 1], got {ratio}")
        for name, value, allowed in (("classifier_input", classifier_input, ("raw", "featurizer")),
                                     ("contrast_rep", contrast_rep, ("classifier", "featurizer")),
                                     ("causal_head", causal_head, ("linear", "mlp"))):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
        self.classifier_input, self.contrast_rep_from = classifier_input, contrast_rep
        self.ratio = float(ratio)
        self.num_classes = num_classes
        self.featurizer = GNNClassifier(in_dim, 1, hidden, featurizer_layers or num_layers, conv,
                                        readout, dropout)
        self.featurizer.head = nn.Identity()    # only node embeddings are used
        self.edge_scorer = nn.Sequential(nn.Linear(2 * hidden, 4 * hidden), nn.ReLU(),
                                         nn.Linear(4 * hidden, 1))
        self.classifier = GNNClassifier(hidden if classifier_input == "featurizer" else in_dim, num_classes,
                                        hidden, num_layers, conv, readout, dropout)
        if causal_head == "mlp":
            self.classifier.head = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.ReLU(),
                                                 nn.Linear(2 * hidden, num_classes))
        self.spurious_head = nn.Sequential(nn.Linear(hidden, 2 * hidden), nn.ReLU(),
                                           nn.Linear(2 * hidden, num_classes))

    @property
    def head(self) -> nn.Module:
        return self.classifier.head

    def edge_scores(self, g: dgl.DGLGraph, x: torch.Tensor, h: Optional[torch.Tensor] = None) -> torch.Tensor:
        """(E,) raw scores s_e = MLP([h_src | h_dst]) from the featurizer's node embeddings h."""
        h = self.featurizer.node_embed(g, x) if h is None else h
        src, dst = g.edges()
        return self.edge_scorer(torch.cat([h[src.long()], h[dst.long()]], dim=-1)).view(-1)

    def outputs(self, g: dgl.DGLGraph, x: torch.Tensor, spurious: bool = False,
                detach_spurious_rep: bool = False) -> CIGAOutput:
        """One pass: scores, split, causal branch and (if ``spurious``) the spurious branch.

        ``detach_spurious_rep=True`` detaches z_s before the spurious head (the reference CIGAv2),
        so the spurious loss trains only that head.
        """
        if g.num_nodes() == 0:
            raise ValueError("CIGA got a batch with no nodes")
        h = self.featurizer.node_embed(g, x)
        scores = self.edge_scores(g, x, h)
        g_c, w_c, g_s, w_s, causal = ciga_subgraphs(g, scores, self.ratio)
        xin = h if self.classifier_input == "featurizer" else x
        z_c = self.classifier.embed(g_c, xin, w_c)
        out = CIGAOutput(self.classifier.head(z_c), z_c, scores, causal)
        out.contrast_rep = z_c if self.contrast_rep_from == "classifier" else _pool_causal_nodes(g, h, causal)
        if spurious:
            with _frozen_running_stats(self.classifier):
                z_s = self.classifier.embed(g_s, xin, w_s)
            out.spurious_rep = z_s
            out.spurious_logits = self.spurious_head(z_s.detach() if detach_spurious_rep else z_s)
        return out

    def embed(self, g: dgl.DGLGraph, x: torch.Tensor) -> torch.Tensor:
        return self.outputs(g, x).causal_rep

    def forward(self, g: dgl.DGLGraph, x: torch.Tensor) -> torch.Tensor:
        return self.outputs(g, x).causal_logits
