"""DIR (Wu et al., ICLR 2022, "Discovering Invariant Rationales for Graph Neural Networks").

DIR shares CIGA's model (:class:`hma_graph.models.ciga.CIGAModel`): a rationale generator scores
every edge and keeps the top ceil(r E_g) edges of each graph as the rationale C (the rest is the
complement S); one GNN encodes both, z_c on C and z_s on S (messages weighted by sigmoid(+-score));
the causal head gives y_c = W_c z_c and the spurious head y_s = MLP(z_s), with z_s detached.

Interventions: every graph's rationale is combined with the complement of every graph j of the
batch, as DIR's ``get_comb_pred``: logits_ij = sigmoid(y_s[j]).detach() * y_c[i] (elementwise over
classes). With R_j = mean_i CE(logits_ij, y_i), the B interventional risks, the loss of a batch is

    L = CE(y_c, y) + alpha_t mean_j R_j + alpha_t Var_j(B R_j) + CE(y_s, y),   alpha_t = alpha t^1.6

for epoch t = 0, 1, ... (DIR's schedule; Var with ddof 1, as ``torch.var``). The last term trains
only the spurious head (its input is detached, and the combination uses its output detached).
Prediction: the causal logits y_c. Sources: DIR's released training script (loss, schedule,
combination); DIR's Spurious-Motif setting r = 0.25, alpha = 1e-4.

Deviation: DIR's script sums the losses of all batches of an epoch and takes one optimiser step per
epoch (and trains the spurious head with a second optimiser); here every batch takes a step of one
optimiser over all parameters, which for Adam equals two optimisers on the disjoint parameter sets.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from ..models.ciga import CIGAModel
from .base import Objective, check_labels

__all__ = ["DIR", "interventional_risks"]


def interventional_risks(causal_logits: torch.Tensor, spurious_logits: torch.Tensor, y: torch.Tensor
                         ) -> torch.Tensor:
    """(B,) R_j = mean_i CE(sigmoid(spurious_logits[j]) * causal_logits[i], y_i) (module docstring)."""
    gate = torch.sigmoid(spurious_logits.detach())                       # (B_j, C)
    comb = gate.unsqueeze(1) * causal_logits.unsqueeze(0)                # (B_j, B_i, C)
    b = causal_logits.shape[0]
    ce = F.cross_entropy(comb.reshape(-1, comb.shape[-1]), y.repeat(gate.shape[0]), reduction="none")
    return ce.view(gate.shape[0], b).mean(1)


class DIR(Objective):
    """DIR. Args: ``model`` a CIGAModel (its ``ratio`` is r), ``alpha`` (1e-4), ``power`` of the
    epoch schedule (1.6). ``set_epoch(t)`` is called by ``fit`` at the start of every epoch."""

    name = "dir"

    def __init__(self, model: CIGAModel, alpha: float = 1e-4, power: float = 1.6):
        if not isinstance(model, CIGAModel):
            raise TypeError(f"DIR needs a hma_graph.models.ciga.CIGAModel, got {type(model).__name__}")
        super().__init__(model)
        if alpha < 0 or power < 0:
            raise ValueError(f"alpha and power must be >= 0, got {alpha}, {power}")
        self.alpha, self.power, self.epoch = float(alpha), float(power), 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def loss(self, g, x: torch.Tensor, y: torch.Tensor, envs: Optional[torch.Tensor] = None
             ) -> Tuple[torch.Tensor, Dict[str, float]]:
        out = self.model.outputs(g, x, spurious=True, detach_spurious_rep=True)
        y = check_labels(y, out.causal_logits)
        if out.causal_logits.shape[1] < 2:
            raise ValueError("DIR needs C >= 2 class logits")
        causal = F.cross_entropy(out.causal_logits, y)
        spurious = F.cross_entropy(out.spurious_logits, y)
        risks = interventional_risks(out.causal_logits, out.spurious_logits, y)
        alpha_t = self.alpha * self.epoch ** self.power
        variance = torch.var(risks * risks.shape[0]) if risks.shape[0] > 1 else risks.new_zeros(())
        total = causal + alpha_t * risks.mean() + alpha_t * variance + spurious
        return total, {"loss": float(total.detach()), "ce": float(causal.detach()),
                       "spurious_ce": float(spurious.detach()), "risk_var": float(variance.detach()),
                       "alpha_t": alpha_t}
