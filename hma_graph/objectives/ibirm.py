"""IB-IRM (Ahuja et al. 2021): IRMv1 + gamma * mean over dimensions of Var_i(z_i).

Shapes: z = model.embed(g, x) (B, d), the pooled graph representation fed to the linear head
(logits = model.head(z), one forward pass). With the IRM penalty of :mod:`hma_graph.objectives.irm`,

    ib      = (1/d) sum_k Var_i(z_ik)        (unbiased variance over the B graphs of the batch, as
                                              in the IB-IRM and CIGA code; 0 when B < 2)
    penalty = lambda * irm + gamma * ib

The information-bottleneck term is computed on the whole batch (not per environment), as in both
reference implementations. Needs a model with ``embed`` and ``head`` (not HMA-wrapped).
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch

from .irm import IRM

__all__ = ["IBIRM", "ib_penalty"]


def ib_penalty(reps: torch.Tensor) -> torch.Tensor:
    """Mean over dimensions of the unbiased per-dimension variance of (B, d) representations."""
    if reps.dim() != 2:
        raise ValueError(f"representations must have shape (batch, dim), got {tuple(reps.shape)}")
    if reps.shape[0] < 2:
        return reps.new_zeros(()) + 0.0 * reps.sum()  # 0, still attached to the graph
    return reps.var(dim=0).mean()


class IBIRM(IRM):
    """IB-IRM. Args: ``penalty_weight`` lambda (IRM, default 1), ``ib_weight`` gamma (default 1),
    ``form``, ``num_envs`` as :class:`IRM`."""

    name = "ibirm"
    needs_reps = True

    def __init__(self, model, penalty_weight: float = 1.0, ib_weight: float = 1.0,
                 form: str = "squared", num_envs: int = 2):
        super().__init__(model, penalty_weight=penalty_weight, form=form, num_envs=num_envs)
        if ib_weight < 0:
            raise ValueError(f"ib_weight must be >= 0, got {ib_weight}")
        self.ib_weight = float(ib_weight)

    def penalty(self, per_sample_loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor,
                envs: Optional[torch.Tensor], reps: Optional[torch.Tensor]
                ) -> Tuple[torch.Tensor, Dict[str, float]]:
        irm_term, logs = super().penalty(per_sample_loss, logits, y, envs, reps)
        ib = ib_penalty(reps)
        logs["ib"] = float(ib.detach())
        return irm_term + self.ib_weight * ib, logs
