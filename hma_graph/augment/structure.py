"""Structure perturbations of one DGL graph (undirected graphs stored with both directions).

* :func:`drop_edges` (DropEdge, Rong et al. 2020): each undirected edge is removed with probability
  p; both of its directions go together, so the result stays symmetric.
* :func:`drop_nodes` (GraphCL's node dropping): each node is removed with probability p, with its
  edges; at least one node is kept.
* :func:`random_walk_subgraph` (GraphCL's subgraph): the nodes visited by a random walk from a
  random start until a fraction ``keep`` of the nodes is reached (restarting from a visited node
  when the walk is stuck), and the edges among them.

:func:`training_transform` turns a config's ``data.augment`` (``{"name": "dropedge", "p": 0.2}``,
``{"name": "dropnode", "p": ...}``, ``{"name": "subgraph", "keep": 0.8}``) into the per-graph
``fn(g, generator) -> g`` that a training loader applies to every graph of every batch.

Node features (``ndata``) follow their nodes; every function takes a ``torch.Generator``.
"""
from __future__ import annotations

import math
from typing import Callable, Mapping, Optional

import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

__all__ = ["drop_edges", "drop_nodes", "random_walk_subgraph", "training_transform", "TRANSFORMS"]


def _check_p(name: str, p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {p}")


def drop_edges(g, p: float, generator: Optional[torch.Generator] = None):
    """g without each undirected edge (both directions; self-loops count as one) with probability p.

    Undirected edges are the distinct pairs (min(u, v), max(u, v)) in increasing order; one uniform
    draw per pair decides. The node set, node features and the kept edges' features stay."""
    _check_p("p", p)
    src, dst = (t.long() for t in g.edges())
    n = max(g.num_nodes(), 1)
    pairs, pair_of = torch.unique(torch.minimum(src, dst) * n + torch.maximum(src, dst), return_inverse=True)
    keep = (torch.rand(pairs.shape[0], generator=generator) >= p)[pair_of]
    h = dgl.graph((src[keep], dst[keep]), num_nodes=g.num_nodes(), idtype=g.idtype)
    h.ndata.update(dict(g.ndata))
    h.edata.update({k: v[keep] for k, v in g.edata.items() if k != dgl.EID})
    return h


def drop_nodes(g, p: float, generator: Optional[torch.Generator] = None):
    """g without each node (and its edges) with probability p; at least one node stays."""
    _check_p("p", p)
    keep = torch.rand(g.num_nodes(), generator=generator) >= p
    if g.num_nodes() and not keep.any():
        keep[torch.randint(g.num_nodes(), (1,), generator=generator)] = True
    return dgl.node_subgraph(g, keep.nonzero().flatten())


def _neighbour_lists(g):
    """CSR of g without self-loops: (offsets (n + 1,), neighbours (E',)) as python lists."""
    src, dst = (t.long() for t in g.edges())
    keep = src != dst
    src, dst = src[keep], dst[keep]
    order = torch.argsort(src * max(g.num_nodes(), 1) + dst)
    counts = torch.bincount(src, minlength=g.num_nodes())
    offsets = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(counts, 0)])
    return offsets.tolist(), dst[order].tolist()


class _Uniforms:
    """U[0, 1) numbers from ``generator``, drawn in blocks (one torch call per 256 numbers)."""

    def __init__(self, generator: Optional[torch.Generator]):
        self.generator, self.block = generator, []

    def below(self, n: int) -> int:
        """A uniform integer in 0..n-1."""
        if not self.block:
            self.block = torch.rand(256, generator=self.generator).tolist()[::-1]
        return min(int(self.block.pop() * n), n - 1)


def random_walk_subgraph(g, keep: float = 0.8, generator: Optional[torch.Generator] = None):
    """The subgraph induced by ceil(keep * N) nodes reached by a random walk (module docstring).

    The walk moves to a uniformly drawn neighbour; at a node whose neighbours are all visited it
    jumps, with probability 0.1 per step, to a uniformly drawn visited node (always, at a node
    without neighbours). After 100 N steps the remaining places go to unvisited nodes in id order
    (the walk's component was too small). Bookkeeping is O(N + E): a count of unvisited neighbours
    per node, so a stuck walk is recognised without scanning its neighbours.
    """
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    n = g.num_nodes()
    target = max(1, math.ceil(keep * n - 1e-9))
    offsets, nbrs = _neighbour_lists(g)
    unvisited_nbrs = [offsets[i + 1] - offsets[i] for i in range(n)]
    draw = _Uniforms(generator)
    current = int(torch.randint(n, (1,), generator=generator))
    visited, order = set(), []

    def visit(v: int) -> None:
        visited.add(v)
        order.append(v)
        for k in range(offsets[v], offsets[v + 1]):
            unvisited_nbrs[nbrs[k]] -= 1

    visit(current)
    for _ in range(100 * n):
        if len(visited) >= target:
            break
        lo, hi = offsets[current], offsets[current + 1]
        if hi == lo or (unvisited_nbrs[current] == 0 and draw.below(10) == 0):
            current = order[draw.below(len(order))]  # restart from a visited node
            continue
        current = nbrs[lo + draw.below(hi - lo)]
        if current not in visited:
            visit(current)
    if len(visited) < target:
        order += [i for i in range(n) if i not in visited][:target - len(visited)]
    return dgl.node_subgraph(g, torch.tensor(sorted(order[:target])))


TRANSFORMS = ("dropedge", "dropnode", "subgraph")


def training_transform(spec: Optional[Mapping]) -> Optional[Callable]:
    """``fn(g, generator) -> g`` for a config's ``data.augment`` (module docstring), or None.

    The result carries the input's node features; DGL's bookkeeping fields (``dgl.NID``,
    ``dgl.EID``) are dropped so that transformed graphs batch like the originals."""
    if spec is None:
        return None
    spec = dict(spec)
    name = spec.pop("name", None)
    fns = {"dropedge": (drop_edges, ("p",)), "dropnode": (drop_nodes, ("p",)),
           "subgraph": (random_walk_subgraph, ("keep",))}
    if name not in fns:
        raise ValueError(f"unknown augmentation {name!r}; choose from {list(TRANSFORMS)}")
    fn, keys = fns[name]
    if sorted(spec) != sorted(keys):
        raise ValueError(f"augmentation {name!r} takes {list(keys)}, got {sorted(spec)}")

    def transform(g, generator=None):
        h = fn(g, **spec, generator=generator)
        h.ndata.pop(dgl.NID, None)
        h.edata.pop(dgl.EID, None)
        return h

    return transform
