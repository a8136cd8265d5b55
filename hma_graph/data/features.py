"""Node features for featureless graphs (IMDB-*, REDDIT-*), as the G-Mixup protocol makes them
(docs/PROTOCOLS.md, section E): with D = the largest degree over all graphs passed,

* D < ``one_hot_below`` (2000): x_i = onehot(deg_i) in {0, 1}^(D + 1)            (n_i, D + 1)
* otherwise:                     x_i = (deg_i - mean) / std                        (n_i, 1)

where mean and std (sample std, ddof 1) are taken over every node of every graph passed (G-Mixup's
``prepare_dataset_x``: the whole data set, synthetic graphs included). Degrees count undirected
neighbours (in-degree of the symmetric graph).
"""
from __future__ import annotations

from typing import List, Sequence

import torch

__all__ = ["degree_features", "ONE_HOT_LIMIT"]

ONE_HOT_LIMIT = 2000


def degree_features(graphs: Sequence, key: str = "feat", one_hot_below: int = ONE_HOT_LIMIT) -> List:
    """Set ``g.ndata[key]`` on every graph, in place (module docstring); returns the graphs."""
    if not graphs:
        raise ValueError("degree_features needs at least one graph")
    degrees = [g.in_degrees().long() for g in graphs]
    top = max(int(d.max()) if len(d) else 0 for d in degrees)
    if top < one_hot_below:
        for g, d in zip(graphs, degrees):
            g.ndata[key] = torch.nn.functional.one_hot(d, top + 1).float()
    else:
        allv = torch.cat(degrees).float()
        mean, std = allv.mean(), allv.std().clamp(min=1e-12)
        for g, d in zip(graphs, degrees):
            g.ndata[key] = ((d.float() - mean) / std).view(-1, 1)
    return list(graphs)
