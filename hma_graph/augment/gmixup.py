"""G-Mixup's augmentation as its published script runs it (Han et al. 2022; ``ahxt/g-mixup``,
``src/gmixup.py``), from the steps of :mod:`.mixup`.

Given the N training graphs with labels y in 0..C-1 (classes present: c_1 < ... < c_m, m >= 2):

1. resolution K = int(median of the training graphs' node counts) ("median"), or a given int;
2. one graphon per class present: W_c = USVT(mean over the class's graphs of the degree-sorted
   adjacency cut or padded to K x K; threshold 0.2 in the script) -- (K, K), entries in [0, 1];
3. ``aug_num`` mixing weights lam_t ~ U[lam_lo, lam_hi] (the script: 10 draws in [0.005, 0.01]);
   for each, an ordered pair (a, b) of two different classes drawn uniformly (python's
   ``random.sample(graphons, 2)``), the mixed graphon W = lam W_a + (1 - lam) W_b and the soft label
   y = lam e_a + (1 - lam) e_b (a row of C entries summing to one);
4. S_t = int(N * aug_ratio / aug_num) graphs sampled from each mixed graphon (edges i - j, i != j,
   independently with probability W_ij; nodes left isolated removed, as the script does), so
   S = aug_num * S_t ~ aug_ratio * N synthetic graphs in all.

Every draw comes from one ``torch.Generator`` seeded with ``seed``: the synthetic set is a function
of the training graphs and the seed. (The script draws lam from numpy's unseeded global generator.)
"""
from __future__ import annotations

import statistics
from typing import List, Sequence, Tuple, Union

import torch

from .mixup import estimate_graphon, mix_graphons, sample_graphs

__all__ = ["gmixup", "class_graphons", "graphon_resolution"]


def graphon_resolution(graphs: Sequence, resolution: Union[str, int] = "median") -> int:
    """K: ``int(median node count)`` for "median" (G-Mixup's script), else ``int(resolution)``."""
    if resolution == "median":
        return max(int(statistics.median(g.num_nodes() for g in graphs)), 1)
    if isinstance(resolution, int) and resolution >= 1:
        return resolution
    raise ValueError(f"resolution must be 'median' or an integer >= 1, got {resolution!r}")


def class_graphons(graphs: Sequence, labels: torch.Tensor, size: int, threshold: float = 0.2):
    """``{class: W_c (size, size)}`` for every class present in ``labels`` (N,) (step 2)."""
    labels = torch.as_tensor(labels).reshape(-1)
    if len(graphs) != labels.numel():
        raise ValueError(f"{len(graphs)} graphs but {labels.numel()} labels")
    out = {}
    for c in sorted(set(labels.tolist())):
        members = [g for g, y in zip(graphs, labels.tolist()) if y == c]
        out[int(c)] = estimate_graphon(members, size=size, threshold=threshold)
    return out


def gmixup(graphs: Sequence, labels: torch.Tensor, num_classes: int, *, resolution: Union[str, int] = "median",
           threshold: float = 0.2, aug_num: int = 10, aug_ratio: float = 0.15,
           lam_range: Sequence[float] = (0.005, 0.01), drop_isolated: bool = True, seed: int = 0
           ) -> Tuple[List, torch.Tensor]:
    """(synthetic graphs, soft labels (S, num_classes) float32) from the training graphs (module
    docstring). Synthetic graphs have no node features."""
    lo, hi = (float(x) for x in lam_range)
    if not 0.0 <= lo <= hi <= 1.0:
        raise ValueError(f"lam_range must be 0 <= lo <= hi <= 1, got {list(lam_range)}")
    if aug_num < 1 or not aug_ratio >= 0:
        raise ValueError(f"aug_num must be >= 1 and aug_ratio >= 0, got {aug_num}, {aug_ratio}")
    size = graphon_resolution(graphs, resolution)
    graphons = class_graphons(graphs, labels, size, threshold)
    classes = sorted(graphons)
    if len(classes) < 2:
        raise ValueError(f"G-Mixup mixes two classes; the training graphs have only {classes}")
    if max(classes) >= num_classes:
        raise ValueError(f"label {max(classes)} out of range for {num_classes} classes")
    gen = torch.Generator().manual_seed(int(seed))
    per_lam = int(len(graphs) * aug_ratio / aug_num)
    eye = torch.eye(num_classes)
    out_graphs, out_labels = [], []
    for _ in range(aug_num):
        lam = lo + (hi - lo) * float(torch.rand(1, generator=gen))
        a, b = (classes[int(i)] for i in torch.randperm(len(classes), generator=gen)[:2])
        w = mix_graphons(graphons[a], graphons[b], lam)
        out_graphs += sample_graphs(w, per_lam, gen, drop_isolated=drop_isolated)
        out_labels += [lam * eye[a] + (1 - lam) * eye[b]] * per_lam
    soft = torch.stack(out_labels) if out_labels else torch.zeros(0, num_classes)
    return out_graphs, soft.float()
