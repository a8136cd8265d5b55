"""IRMv1 (Arjovsky et al. 2019): ERM + lambda * sum_e (d R_e(w * logits) / d w |_{w=1})^2.

Shapes: logits (B, C), labels (B,), envs (B,) environment ids (a random split of the batch, see
:mod:`hma_graph.objectives.base`). With a dummy scalar w = 1 (requires grad) and the per-sample
loss l of the base objective (cross-entropy, or BCE for one logit),

    R_e(w)  = mean_{i in e} l(w * logits_i, y_i)
    g_e     = d R_e / d w at w = 1          (torch.autograd.grad, create_graph=True, so the penalty
                                             is differentiable w.r.t. the model)
    penalty = lambda * sum_e g_e^2                                   (form="squared", default)
            = lambda * sum_e g_e^(a) * g_e^(b)                       (form="split_half")

Sum, not mean, over environments: the penalty is summed over the environments as IRMv1 writes it,
where DomainBed averages them, so with our 2 environments per batch our lambda equals twice
DomainBed's (lambda = 1 here is DomainBed's 2). The OOD tables state this in their caption.

For cross-entropy g_e has the closed form mean_{i in e} (softmax(z_i) - onehot(y_i)) . z_i
(the tests use it as the independent reference).

Which form, and why. The default is the squared-gradient form: it is the quantity IRMv1 defines
(and PROTOCOLS D names), it is non-negative, and it is exactly zero when w = 1 is stationary for
every environment's batch risk. Its minibatch estimate is biased upwards by Var(per-sample
gradient) / n_e, a small bias that only adds a gradient-noise term. The ``split_half`` form
(DomainBed's estimator) splits each environment's samples into two halves a, b (in batch order;
membership is already random; an odd environment's extra sample joins b, so no sample is dropped,
where DomainBed's slicing drops it) and multiplies their gradients: unbiased for (E g_e)^2, but with
~8 graphs per half it is high-variance and unbounded below, so a large lambda can reward making
the halves disagree. Environments with fewer than 2 samples are skipped in that form. The
reference CIGA code multiplies the gradients of the two *different* environments, which is neither
form (it rewards environments whose gradients have opposite signs); we do not reproduce it.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch

from .base import Objective, env_groups, per_sample_loss

__all__ = ["IRM", "irm_penalty"]

_FORMS = ("squared", "split_half")


def _scale_grad(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    w = torch.ones((), dtype=logits.dtype, device=logits.device, requires_grad=True)
    risk = per_sample_loss(logits * w, y).mean()
    return torch.autograd.grad(risk, w, create_graph=True)[0]


def irm_penalty(logits: torch.Tensor, y: torch.Tensor, envs: torch.Tensor,
                form: str = "squared") -> torch.Tensor:
    """Unweighted IRMv1 penalty summed over the non-empty environments (0-dim tensor)."""
    if form not in _FORMS:
        raise ValueError(f"IRM penalty form must be one of {_FORMS}, got {form!r}")
    total = logits.new_zeros(())
    for m in env_groups(envs):
        if form == "squared":
            total = total + _scale_grad(logits[m], y[m]) ** 2
        else:
            idx = torch.nonzero(m).view(-1)
            if idx.numel() < 2:
                continue
            half = idx.numel() // 2
            a, b = idx[:half], idx[half:]  # an odd-sized environment's extra sample goes to b
            total = total + _scale_grad(logits[a], y[a]) * _scale_grad(logits[b], y[b])
    return total


class IRM(Objective):
    """IRMv1. Args: ``penalty_weight`` lambda (default 1), ``form`` "squared" | "split_half",
    ``num_envs`` (default 2)."""

    name = "irm"
    uses_envs = True

    def __init__(self, model, penalty_weight: float = 1.0, form: str = "squared", num_envs: int = 2):
        super().__init__(model, num_envs=num_envs)
        if form not in _FORMS:
            raise ValueError(f"IRM penalty form must be one of {_FORMS}, got {form!r}")
        if penalty_weight < 0:
            raise ValueError(f"penalty_weight must be >= 0, got {penalty_weight}")
        self.penalty_weight = float(penalty_weight)
        self.form = form

    def penalty(self, per_sample_loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor,
                envs: Optional[torch.Tensor], reps: Optional[torch.Tensor]
                ) -> Tuple[torch.Tensor, Dict[str, float]]:
        irm = irm_penalty(logits, y, envs, self.form)
        return self.penalty_weight * irm, {"irm": float(irm.detach())}
