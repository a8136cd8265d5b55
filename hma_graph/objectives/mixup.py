"""Manifold Mixup for graph classifiers (Verma et al. 2019; the graph form of G-Mixup's baseline).

For a batch, lam ~ Beta(alpha, alpha) and a random permutation pi of the batch (torch's global
generator, so ``torch.manual_seed`` repeats it); with pooled embeddings h = model.embed(g, x) (B, d),

    loss = CE(head(lam h + (1 - lam) h[pi]),  lam onehot(y) + (1 - lam) onehot(y[pi]))

(soft-label cross-entropy; :func:`hma_graph.augment.manifold_mixup`). Prediction is the model's
plain forward. Needs a model with ``embed`` and ``head`` (:class:`hma_graph.models.GNNClassifier`).
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from ..augment.mixup import manifold_mixup
from .base import Objective, check_labels

__all__ = ["ManifoldMixup"]


class ManifoldMixup(Objective):
    """Manifold Mixup. Args: ``alpha`` of the Beta(alpha, alpha) mixing weight (default 1.0)."""

    name = "mmixup"

    def __init__(self, model, alpha: float = 1.0):
        super().__init__(model)
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha}")
        if not (hasattr(model, "embed") and hasattr(model, "head")):
            raise ValueError("Manifold Mixup needs a model with .embed(g, x) and .head")
        if getattr(model, "hma_wrapped", False):
            raise ValueError("Manifold Mixup mixes the pooled embedding before the head; it does not "
                             "apply to an HMA-wrapped model")
        self.alpha = float(alpha)

    def loss(self, g, x: torch.Tensor, y: torch.Tensor, envs: Optional[torch.Tensor] = None
             ) -> Tuple[torch.Tensor, Dict[str, float]]:
        h = self.model.embed(g, x)
        c = self.model.head(h[:1]).shape[1]  # classes, whatever the head is
        y = check_labels(y, torch.empty(h.shape[0], c))
        lam = float(torch.distributions.Beta(self.alpha, self.alpha).sample())
        perm = torch.randperm(h.shape[0])
        h_mix, y_soft = manifold_mixup(h, y, c, lam, perm)
        loss = F.cross_entropy(self.model.head(h_mix), y_soft)
        return loss, {"loss": float(loss.detach()), "lam": lam}
