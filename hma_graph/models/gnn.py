"""A plain message-passing graph classifier: L conv layers, a readout, a linear or two-layer head.

    h^(0) = x W_in                                   (N, d)      input projection
    h^(l) = dropout(ReLU(BN(conv_l(g, h^(l-1), w))))  (N, d)      l = 1..L  (no ReLU after the last)
    z     = readout(g, h^(L))                        (B, d)      mean / sum / max over each graph's nodes
    logits = head(z)                                 (B, C)      nn.Linear(d, C), or with head_layers=2
                                                                 Linear(d, d) -> ReLU -> Linear(d, C)

conv is ``dgl.nn.GINConv`` (MLP Linear-BN-ReLU-Linear, learnable eps, sum aggregation) or
``dgl.nn.GraphConv`` (symmetric normalisation, self-loops added by the caller's graph or allowed
zero in-degree). Both accept optional per-edge weights ``w`` (shape (E,)), which CIGA uses to
re-weight messages; ``w`` multiplies each message. This is the backbone of the OOD protocols
(docs/PROTOCOLS.md, sections B and C: 3 layers, width 32 or 128, mean or max readout), of Table 4
(section E: GIN 5 x 64, mean readout, the two-layer head of G-Mixup's GIN) and of the examples. It is an
"ordinary DGL classifier" in the sense of :func:`hma_graph.apply`: readout module ``pool``,
head ``head``.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from .. import _compat

_compat.install()
import dgl  # noqa: E402
from dgl.nn import AvgPooling, GINConv, GraphConv, MaxPooling, SumPooling  # noqa: E402

from ..nn.dropout import Dropout  # noqa: E402

__all__ = ["GNNClassifier"]

_READOUTS = {"mean": AvgPooling, "sum": SumPooling, "max": MaxPooling}


class GNNClassifier(nn.Module):
    """GIN or GCN graph classifier.

    Args:
        in_dim: node feature width.
        num_classes: logits per graph (1 for a single-logit binary task).
        hidden: width d of every layer.
        num_layers: number of conv layers L.
        conv: "gin" or "gcn".
        readout: "mean", "sum" or "max".
        dropout: dropout after every layer.
        head_layers: 1 (a linear head) or 2 (Linear(d, d) - ReLU - Linear(d, C), no dropout).
    Forward: ``forward(g, x, edge_weight=None) -> (B, num_classes)``; ``embed`` returns (B, d).
    """

    def __init__(self, in_dim: int, num_classes: int, hidden: int = 64, num_layers: int = 3,
                 conv: str = "gin", readout: str = "mean", dropout: float = 0.0, head_layers: int = 1):
        super().__init__()
        if conv not in ("gin", "gcn"):
            raise ValueError(f"conv must be 'gin' or 'gcn', got {conv!r}")
        if head_layers not in (1, 2):
            raise ValueError(f"head_layers must be 1 or 2, got {head_layers!r}")
        if readout not in _READOUTS:
            raise ValueError(f"readout must be one of {sorted(_READOUTS)}, got {readout!r}")
        for name, value in (("in_dim", in_dim), ("num_classes", num_classes), ("hidden", hidden),
                            ("num_layers", num_layers)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        self.in_dim, self.num_layers = in_dim, num_layers
        self.input = nn.Linear(in_dim, hidden)
        self.convs = nn.ModuleList()
        self.norms = nn.ModuleList()
        for _ in range(num_layers):
            if conv == "gin":
                mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                    nn.Linear(hidden, hidden))
                self.convs.append(GINConv(mlp, aggregator_type="sum", learn_eps=True))
            else:
                self.convs.append(GraphConv(hidden, hidden, norm="both", allow_zero_in_degree=True))
            self.norms.append(nn.BatchNorm1d(hidden))
        self.dropout = Dropout(dropout)
        self.pool = _READOUTS[readout]()
        self.head = (nn.Linear(hidden, num_classes) if head_layers == 1 else
                     nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes)))

    def node_embed(self, g: dgl.DGLGraph, x: torch.Tensor,
                   edge_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"node features must have shape (num_nodes, {self.in_dim}), got {tuple(x.shape)}")
        if x.shape[0] != g.num_nodes():
            raise ValueError(f"{x.shape[0]} feature rows for a graph with {g.num_nodes()} nodes")
        h = self.input(x)
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            h = norm(conv(g, h, edge_weight=edge_weight))
            if i < self.num_layers - 1:
                h = torch.relu(h)
            h = self.dropout(h)
        return h

    def embed(self, g, x, edge_weight=None) -> torch.Tensor:
        return self.pool(g, self.node_embed(g, x, edge_weight))

    def forward(self, g, x, edge_weight=None) -> torch.Tensor:
        return self.head(self.embed(g, x, edge_weight))
