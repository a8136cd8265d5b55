"""Structure perturbations of one DGL graph (undirected graphs stored with both directions).

* :func:`drop_edges` (DropEdge, Rong et al. 2020): each undirected edge is removed with probability
  p; both of its directions go together, so the result stays symmetric.
* :func:`drop_nodes` (GraphCL's node dropping): each node is removed with probability p, with its
  edges; at least one node is kept.
* :func:`random_walk_subgraph` (GraphCL's subgraph): the nodes visited by a random walk from a
  random start until a fraction ``keep`` of the nodes is reached (restarting from a visited node
  when the walk is stuck), and the edges among them.

Node features (``ndata``) follow their nodes; every function takes a ``torch.Generator``.
"""
from __future__ import annotations

import math
from typing import Optional

import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

__all__ = ["drop_edges", "drop_nodes", "random_walk_subgraph"]


def _check_p(name: str, p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {p}")


def drop_edges(g, p: float, generator: Optional[torch.Generator] = None):
    """g without each undirected edge (both directions; self-loops count as one) with probability p."""
    _check_p("p", p)
    src, dst = (t.long() for t in g.edges())
    lo, hi = torch.minimum(src, dst), torch.maximum(src, dst)
    pairs, pair_of = torch.unique(torch.stack([lo, hi]), dim=1, return_inverse=True)
    keep_pair = torch.rand(pairs.shape[1], generator=generator) >= p
    return dgl.edge_subgraph(g, keep_pair[pair_of].nonzero().flatten(), relabel_nodes=False)


def drop_nodes(g, p: float, generator: Optional[torch.Generator] = None):
    """g without each node (and its edges) with probability p; at least one node stays."""
    _check_p("p", p)
    keep = torch.rand(g.num_nodes(), generator=generator) >= p
    if g.num_nodes() and not keep.any():
        keep[torch.randint(g.num_nodes(), (1,), generator=generator)] = True
    return dgl.node_subgraph(g, keep.nonzero().flatten())


def random_walk_subgraph(g, keep: float = 0.8, generator: Optional[torch.Generator] = None):
    """The subgraph induced by ceil(keep * N) nodes reached by a random walk (module docstring)."""
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be in (0, 1], got {keep}")
    n = g.num_nodes()
    target = max(1, math.ceil(keep * n - 1e-9))
    src, dst = (t.long() for t in g.edges())
    neighbours = [[] for _ in range(n)]
    for s, d in zip(src.tolist(), dst.tolist()):
        if s != d:
            neighbours[s].append(d)
    current = int(torch.randint(n, (1,), generator=generator))
    visited, order = {current}, [current]
    for _ in range(100 * n):
        if len(visited) >= target:
            break
        options = neighbours[current]
        if not options or all(o in visited for o in options) and torch.rand(1, generator=generator) < 0.1:
            current = order[int(torch.randint(len(order), (1,), generator=generator))]  # restart
            continue
        current = options[int(torch.randint(len(options), (1,), generator=generator))]
        if current not in visited:
            visited.add(current)
            order.append(current)
    if len(visited) < target:  # the walk's component is too small: fill with unvisited nodes in order
        order += [i for i in range(n) if i not in visited][:target - len(visited)]
    return dgl.node_subgraph(g, torch.tensor(sorted(order[:target])))
