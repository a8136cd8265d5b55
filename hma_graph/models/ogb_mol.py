"""OGB molecule backbones (GCN, GIN, GCN-v, GIN-v) on DGL, with the semantics of OGB's mol example.

Follows snap-stanford/ogb ``examples/graphproppred/mol`` (``conv.py``, ``gnn.py``); docs/PROTOCOLS.md, section A.
Inputs are OGB molecule graphs: ``x`` (N, 9) integer atom features, ``edge_attr`` (E, 3) integer bond
features, both directions of every bond present as separate edges (src -> dst).

Encoders (``ogb.graphproppred.mol_encoder``): ``AtomEncoder`` once on the nodes; a separate
``BondEncoder`` inside every conv layer (each sums one embedding table per feature column).

GIN layer (parameters held by ``dgl.nn.GINEConv(apply_func=mlp, learn_eps=True)``, eps init 0)::

    out_i = MLP((1 + eps) h_i + sum_{j -> i} ReLU(h_j + e_ji)),   MLP = Linear(d,2d)-BN-ReLU-Linear(2d,d)

The sum is computed with ``index_select`` / ``index_add_`` over the edge list instead of calling
``GINEConv.forward``, whose Python message function (a UDF) costs about 5% of a training step on CPU
(``benchmarks/pyg_speed.py``). Values and gradients are bit-identical to ``GINEConv.forward`` (same
operations in the same order; tests/models/test_ogb_mol.py checks it).

GCN layer (written here with DGL message passing)::

    h      = Linear(h)                                          (N, d)
    deg_i  = outdeg(i) + 1          (OGB counts the *source* index, degree(row); on OGB's symmetric
                                     molecule graphs out- and in-degree agree)
    out_i  = sum_{j -> i} ReLU(h_j + e_ji) deg_j^-1/2 deg_i^-1/2  +  ReLU(h_i + r) / deg_i

with r = ``root_emb``, an ``nn.Embedding(1, d)``.

Node stack (L >= 2 layers, width d)::

    h^0 = AtomEncoder(x)
    h^l = dropout(ReLU(BN(conv_l(g, h^{l-1}, edge_attr))))     l = 1..L, no ReLU after layer L
    node representation: h^L (JK "last") or sum_{l=0..L} h^l (JK "sum")

Virtual node (``virtual_node=True``, OGB ``GNN_node_Virtualnode`` with its default residual=False):
one vector v_b per graph b, v^0 = ``virtualnode_embedding`` (``nn.Embedding(1, d)``, initialised 0).
Before layer l the input is replaced by ``h^{l-1}_i <- h^{l-1}_i + v^{l-1}_{b(i)}`` (this sum is also
what JK "sum" adds up); after every layer but the last::

    v^l_b = dropout(MLP_l(sum_{i in b} h^{l-1}_i + v^{l-1}_b)),   MLP_l = Linear(d,2d)-BN-ReLU-Linear(2d,d)-BN-ReLU

where h^{l-1} is the layer's *input* (already including v^{l-1}), not its output. (OGB's
residual=True variant would add v^{l-1}_b to the result; it is not the default and not offered.)

Graph head: ``z = pool(g, h_node)`` (mean by default: ``dgl.nn.AvgPooling``; "sum"/"max"),
``logits = graph_pred_linear(z)`` (B, num_tasks). For :func:`hma_graph.apply` the readout is the module
``pool`` and the head the ``nn.Linear`` ``graph_pred_linear`` (registered last); nothing happens
between them. Dropout uses :class:`hma_graph.nn.Dropout` (same distribution as ``torch.nn.Dropout``).

Parameter count with d = 300, L = 5, one task, ogb 1.3.6: GIN 1,885,506, GCN 528,001, GIN-v 3,336,606,
GCN-v 1,979,101; the OGB leaderboard lists 300 fewer each (1,885,206 / 527,701 / 3,336,306 /
1,978,801) because the chirality vocabulary of the atom features has since grown from 4 to 5
entries (one more AtomEncoder row of width 300).
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn

from .. import _compat

_compat.install()
import dgl  # noqa: E402
import dgl.function as fn  # noqa: E402
from dgl.nn import AvgPooling, GINEConv, MaxPooling, SumPooling  # noqa: E402
from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder  # noqa: E402
from ogb.utils.features import get_atom_feature_dims, get_bond_feature_dims  # noqa: E402

from ..nn.dropout import Dropout  # noqa: E402

__all__ = ["OGBMolGNN", "OGBGINConv", "OGBGCNConv", "check_mol_inputs"]

ATOM_FEATURE_DIMS = tuple(get_atom_feature_dims())  # (119, 5, 12, 12, 10, 6, 6, 2, 2) in ogb 1.3.6
BOND_FEATURE_DIMS = tuple(get_bond_feature_dims())  # (5, 6, 2)

_READOUTS = {"mean": AvgPooling, "sum": SumPooling, "max": MaxPooling}
_INT_DTYPES = (torch.int64, torch.int32, torch.int16, torch.int8, torch.uint8)


def _check_codes(t: torch.Tensor, dims: Tuple[int, ...], what: str, rows_name: str,
                 rows: int) -> torch.Tensor:
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"{what} must be a torch.Tensor, got {type(t).__name__}")
    if t.dim() != 2 or t.shape[1] != len(dims):
        raise ValueError(f"{what} must have shape ({rows_name}, {len(dims)}) (OGB format), "
                         f"got {tuple(t.shape)}")
    if t.dtype not in _INT_DTYPES:
        raise ValueError(f"{what} must hold integer category codes (OGB format), got dtype {t.dtype}")
    if t.shape[0] != rows:
        raise ValueError(f"{what} has {t.shape[0]} rows for a graph with {rows} {rows_name}")
    if t.shape[0] > 0:
        lo = int(t.min())
        hi = t.amax(dim=0).tolist()
        bad = [k for k, (m, d) in enumerate(zip(hi, dims)) if m >= d]
        if lo < 0 or bad:
            k = bad[0] if bad else None
            detail = (f"column {k} has code {hi[k]} >= vocabulary size {dims[k]}" if bad
                      else f"negative code {lo}")
            raise ValueError(f"{what} out of range for ogb's encoders: {detail}")
    return t.long()


def check_mol_inputs(g: dgl.DGLGraph, x: Optional[torch.Tensor] = None,
                     edge_attr: Optional[torch.Tensor] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Validate OGB molecule inputs; read ``g.ndata['feat']`` / ``g.edata['feat']`` when omitted.

    Returns ``(x, edge_attr)`` as int64 tensors of shapes (N, 9) and (E, 3).
    """
    if not isinstance(g, dgl.DGLGraph):
        raise ValueError(f"g must be a dgl.DGLGraph, got {type(g).__name__}")
    if not g.is_homogeneous:
        raise ValueError("OGB molecule models need a homogeneous graph (one node and one edge type)")
    if g.num_nodes() == 0:
        raise ValueError("empty input: the graph (batch) has no nodes")
    if x is None:
        if "feat" not in g.ndata:
            raise ValueError("no atom features: pass x or set g.ndata['feat'] (N, 9)")
        x = g.ndata["feat"]
    if edge_attr is None:
        if "feat" not in g.edata:
            raise ValueError("no bond features: pass edge_attr or set g.edata['feat'] (E, 3)")
        edge_attr = g.edata["feat"]
    x = _check_codes(x, ATOM_FEATURE_DIMS, "atom features x", "nodes", g.num_nodes())
    edge_attr = _check_codes(edge_attr, BOND_FEATURE_DIMS, "bond features edge_attr", "edges",
                             g.num_edges())
    return x, edge_attr


def _mlp(d_in: int, d_hidden: int, d_out: int, final_bn_relu: bool = False) -> nn.Sequential:
    layers = [nn.Linear(d_in, d_hidden), nn.BatchNorm1d(d_hidden), nn.ReLU(),
              nn.Linear(d_hidden, d_out)]
    if final_bn_relu:
        layers += [nn.BatchNorm1d(d_out), nn.ReLU()]
    return nn.Sequential(*layers)


class OGBGINConv(nn.Module):
    """OGB's GIN layer: its own BondEncoder + the ``dgl.nn.GINEConv`` sum (learnable eps, init 0).

    ``forward(g, h (N, d), edge_attr (E, 3) long) -> (N, d)``. ``self.conv`` is a
    ``dgl.nn.GINEConv`` holding eps and the MLP; :meth:`forward` computes what ``self.conv(g, h, e)``
    computes, without its per-edge Python message function (see the module docstring).
    """

    def __init__(self, emb_dim: int):
        super().__init__()
        self.bond_encoder = BondEncoder(emb_dim)
        self.conv = GINEConv(apply_func=_mlp(emb_dim, 2 * emb_dim, emb_dim), learn_eps=True)

    @property
    def mlp(self) -> nn.Sequential:
        return self.conv.apply_func

    @property
    def eps(self) -> torch.Tensor:
        return self.conv.eps

    def forward(self, g: dgl.DGLGraph, h: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        e = self.bond_encoder(edge_attr)                      # (E, d)
        src, dst = g.edges()                                  # edge-id order, as GINEConv's UDF
        msg = h.index_select(0, src).add_(e).relu_()          # ReLU(h_j + e_ji)      (E, d)
        agg = torch.zeros_like(h).index_add_(0, dst, msg)     # sum over in-edges     (N, d)
        return self.conv.apply_func((1 + self.conv.eps) * h + agg)


class OGBGCNConv(nn.Module):
    """OGB's GCN layer with bond features and a root embedding (see module docstring).

    deg = out-degree + 1 (OGB's ``degree(row)``). ``forward(g, h (N, d), edge_attr (E, 3)) -> (N, d)``.
    """

    def __init__(self, emb_dim: int):
        super().__init__()
        self.linear = nn.Linear(emb_dim, emb_dim)
        self.root_emb = nn.Embedding(1, emb_dim)
        self.bond_encoder = BondEncoder(emb_dim)

    def forward(self, g: dgl.DGLGraph, h: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        h = self.linear(h)
        e = self.bond_encoder(edge_attr)
        deg = g.out_degrees().to(device=h.device, dtype=h.dtype) + 1.0  # >= 1: no division by 0
        with g.local_scope():
            g.ndata["h"] = h
            g.ndata["s"] = deg.rsqrt().unsqueeze(-1)
            g.edata["e"] = e
            g.apply_edges(fn.u_add_e("h", "e", "he"))
            g.apply_edges(fn.u_mul_v("s", "s", "norm"))
            g.edata["m"] = torch.relu(g.edata["he"]) * g.edata["norm"]
            g.update_all(fn.copy_e("m", "m"), fn.sum("m", "agg"))
            agg = g.ndata["agg"]
        return agg + torch.relu(h + self.root_emb.weight) / deg.unsqueeze(-1)


class OGBMolGNN(nn.Module):
    """OGB mol-example graph classifier/regressor: GIN or GCN, optional virtual node.

    Args:
        num_tasks: outputs per graph (ogbg-molbace/bbbp/hiv: 1).
        num_layers: message-passing layers L (>= 2, as in OGB).
        emb_dim: width d.
        gnn_type: "gin" or "gcn".
        virtual_node: add OGB's virtual node (the "-v" variants).
        drop_ratio: dropout after every layer (and on the virtual-node update).
        JK: "last" or "sum".
        graph_pooling: "mean", "sum" or "max".
    Forward: ``forward(g, x=None, edge_attr=None) -> (B, num_tasks)`` with x (N, 9) and edge_attr
    (E, 3) integer codes; omitted ones are read from ``g.ndata['feat']`` / ``g.edata['feat']``.
    ``node_embed`` returns (N, d), ``embed`` the pooled (B, d).
    """

    def __init__(self, num_tasks: int = 1, num_layers: int = 5, emb_dim: int = 300,
                 gnn_type: str = "gin", virtual_node: bool = False, drop_ratio: float = 0.5,
                 JK: str = "last", graph_pooling: str = "mean"):
        super().__init__()
        if gnn_type not in ("gin", "gcn"):
            raise ValueError(f"gnn_type must be 'gin' or 'gcn', got {gnn_type!r}")
        if num_layers < 2:
            raise ValueError(f"num_layers must be >= 2 (as in OGB), got {num_layers}")
        if JK not in ("last", "sum"):
            raise ValueError(f"JK must be 'last' or 'sum', got {JK!r}")
        if graph_pooling not in _READOUTS:
            raise ValueError(f"graph_pooling must be one of {sorted(_READOUTS)}, got {graph_pooling!r}")
        if num_tasks < 1 or emb_dim < 1:
            raise ValueError(f"num_tasks and emb_dim must be >= 1, got {num_tasks}, {emb_dim}")
        self.num_tasks, self.num_layers, self.emb_dim = num_tasks, num_layers, emb_dim
        self.gnn_type, self.virtual_node, self.JK = gnn_type, virtual_node, JK
        self.graph_pooling = graph_pooling

        self.atom_encoder = AtomEncoder(emb_dim)
        conv_cls = OGBGINConv if gnn_type == "gin" else OGBGCNConv
        self.convs = nn.ModuleList(conv_cls(emb_dim) for _ in range(num_layers))
        self.batch_norms = nn.ModuleList(nn.BatchNorm1d(emb_dim) for _ in range(num_layers))
        if virtual_node:
            self.virtualnode_embedding = nn.Embedding(1, emb_dim)
            nn.init.zeros_(self.virtualnode_embedding.weight)
            self.mlp_virtualnode_list = nn.ModuleList(
                _mlp(emb_dim, 2 * emb_dim, emb_dim, final_bn_relu=True) for _ in range(num_layers - 1))
        self.dropout = Dropout(drop_ratio)
        self.pool = _READOUTS[graph_pooling]()
        self.graph_pred_linear = nn.Linear(emb_dim, num_tasks)  # registered last (hma_graph.apply)

    def node_embed(self, g: dgl.DGLGraph, x: Optional[torch.Tensor] = None,
                   edge_attr: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Node representations (N, d) after the L layers (JK applied)."""
        x, edge_attr = check_mol_inputs(g, x, edge_attr)
        h_list = [self.atom_encoder(x)]
        vn = None
        if self.virtual_node:
            vn = self.virtualnode_embedding.weight.expand(g.batch_size, -1)  # (B, d), v^0
        last = self.num_layers - 1
        for layer in range(self.num_layers):
            if vn is not None:
                h_list[layer] = h_list[layer] + dgl.broadcast_nodes(g, vn)
            h = self.batch_norms[layer](self.convs[layer](g, h_list[layer], edge_attr))
            if layer < last:
                h = torch.relu(h)
            h_list.append(self.dropout(h))
            if vn is not None and layer < last:
                with g.local_scope():
                    g.ndata["_vn_in"] = h_list[layer]
                    pooled = dgl.readout_nodes(g, "_vn_in", op="sum")  # (B, d)
                vn = self.dropout(self.mlp_virtualnode_list[layer](pooled + vn))
        if self.JK == "last":
            return h_list[-1]
        return torch.stack(h_list, dim=0).sum(dim=0)

    def embed(self, g: dgl.DGLGraph, x: Optional[torch.Tensor] = None,
              edge_attr: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Graph representations (B, d): the readout of :meth:`node_embed`."""
        return self.pool(g, self.node_embed(g, x, edge_attr))

    def forward(self, g: dgl.DGLGraph, x: Optional[torch.Tensor] = None,
                edge_attr: Optional[torch.Tensor] = None) -> torch.Tensor:
        h_node = self.node_embed(g, x, edge_attr)
        return self.graph_pred_linear(self.pool(g, h_node))

    def extra_repr(self) -> str:
        return (f"gnn_type={self.gnn_type!r}, virtual_node={self.virtual_node}, "
                f"num_layers={self.num_layers}, emb_dim={self.emb_dim}, JK={self.JK!r}")
