"""V-REx (Krueger et al. 2021): ERM + lambda * Var_e(R_e), with gradient.

Shapes: per-sample losses (B,), envs (B,) environment ids (a random split of the batch, see
:mod:`hma_graph.objectives.base`).

    R_e     = mean_{i in e} l_i                          over the non-empty environments e = 1..m
    penalty = lambda * (1/m) sum_e (R_e - mean_e' R_e')^2     (population variance, as DomainBed)

For two environments this is lambda * (R_1 - R_2)^2 / 4 (torch.var's unbiased estimate would be
twice that; only lambda's scale differs). The risks keep their autograd graph, so the penalty
pulls the environment risks together. The reference CIGA code builds the variance from Python
floats (``torch.FloatTensor([loss_0, loss_1])``), which carries no gradient: its "V-REx" trains
exactly like ERM. We do not reproduce that.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch

from .base import Objective, env_groups

__all__ = ["VREx", "vrex_penalty"]


def vrex_penalty(per_sample_loss: torch.Tensor, envs: torch.Tensor) -> torch.Tensor:
    """Unweighted V-REx penalty: population variance of the per-environment mean losses."""
    risks = torch.stack([per_sample_loss[m].mean() for m in env_groups(envs)])
    return ((risks - risks.mean()) ** 2).mean()


class VREx(Objective):
    """V-REx. Args: ``penalty_weight`` lambda (default 1), ``num_envs`` (default 2)."""

    name = "vrex"
    uses_envs = True

    def __init__(self, model, penalty_weight: float = 1.0, num_envs: int = 2):
        super().__init__(model, num_envs=num_envs)
        if penalty_weight < 0:
            raise ValueError(f"penalty_weight must be >= 0, got {penalty_weight}")
        self.penalty_weight = float(penalty_weight)

    def penalty(self, per_sample_loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor,
                envs: Optional[torch.Tensor], reps: Optional[torch.Tensor]
                ) -> Tuple[torch.Tensor, Dict[str, float]]:
        var = vrex_penalty(per_sample_loss, envs)
        return self.penalty_weight * var, {"vrex": float(var.detach())}
