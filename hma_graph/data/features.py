"""Node features for featureless graphs (IMDB-*, REDDIT-*), as the G-Mixup protocol makes them
(docs/PROTOCOLS.md, section E): the one-hot node degree when the largest degree over the data set
is below 2000, else the degree as one scalar, standardised over all nodes of the data set
(z = (deg - mean) / std). Degrees count undirected neighbours (in-degree of the symmetric graph).
"""
from __future__ import annotations

from typing import List, Sequence

import torch

__all__ = ["degree_features", "ONE_HOT_LIMIT"]

ONE_HOT_LIMIT = 2000


def degree_features(graphs: Sequence, key: str = "feat") -> List:
    """Set ``g.ndata[key]`` on every graph (module docstring); returns the graphs."""
    if not graphs:
        raise ValueError("degree_features needs at least one graph")
    degrees = [g.in_degrees().long() for g in graphs]
    top = max(int(d.max()) if len(d) else 0 for d in degrees)
    if top < ONE_HOT_LIMIT:
        for g, d in zip(graphs, degrees):
            g.ndata[key] = torch.nn.functional.one_hot(d, top + 1).float()
    else:
        allv = torch.cat(degrees).float()
        mean, std = allv.mean(), allv.std().clamp(min=1e-12)
        for g, d in zip(graphs, degrees):
            g.ndata[key] = ((d.float() - mean) / std).view(-1, 1)
    return list(graphs)
