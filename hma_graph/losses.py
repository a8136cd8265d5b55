"""The one classification loss of the library, used by ``fit`` and by every objective.

    loss(logits, y, kind="ce", reduction="mean")

* ``"ce"``: cross-entropy of softmax(logits), logits (B, C >= 2), labels (B,) class ids, or soft
  labels (B, C) of class probabilities (mixup, G-Mixup's synthetic graphs).
* ``"bce"``: binary cross-entropy with logits on the *labelled* entries only: logits and labels
  (B, T) (or (B,)), NaN labels = unlabelled (OGB's molecule tasks). ``reduction="mean"`` averages
  over labelled entries (OGB's mol example); a batch without any label gives a zero loss that keeps
  the graph connected; ``"none"`` returns the labelled entries' losses in row-major order.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["loss", "LOSSES"]

LOSSES = ("ce", "bce")


def loss(logits: torch.Tensor, y: torch.Tensor, kind: str = "ce", reduction: str = "mean") -> torch.Tensor:
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got {reduction!r}")
    if kind == "ce":
        if y.dim() == 2 and y.shape == logits.shape and y.is_floating_point():
            return F.cross_entropy(logits, y, reduction=reduction)  # soft labels
        return F.cross_entropy(logits, y.reshape(-1).long(), reduction=reduction)
    if kind == "bce":
        y = y.reshape(logits.shape).to(logits.dtype)
        mask = ~torch.isnan(y)
        if not mask.any():
            return logits.sum() * 0.0 if reduction == "mean" else logits.new_zeros(0)
        return F.binary_cross_entropy_with_logits(logits[mask], y[mask], reduction=reduction)
    raise ValueError(f"loss must be one of {LOSSES}, got {kind!r}")
