"""CIGAv1 / CIGAv2 objectives (Chen et al. 2022, "Learning Causally Invariant Representations for
OOD Generalization on Graphs", arXiv 2202.05441). They need a :class:`hma_graph.models.ciga.CIGAModel`.

Shapes: B graphs, C classes, causal representations z_c (B, d), labels y (B,).

    CIGAv1:  loss = CE(causal logits, y) + alpha * SupCon(z_c, y)
    CIGAv2:  loss = CIGAv1 + beta * hinge(l_s, l_c)

Supervised contrastive loss (temperature tau = 1 by default), on u_i = z_i / ||z_i|| (F.normalize):

    A(i) = {j != i},   P(i) = {j != i : y_j = y_i},   s_ij = u_i . u_j / tau
    SupCon = mean over anchors i with |P(i)| > 0 of
             -(1/|P(i)|) sum_{p in P(i)} [ s_ip - log sum_{a in A(i)} exp(s_ia) ]
    (0 when no anchor has a positive, e.g. all labels distinct; the reference returns NaN there.)

Hinge (CIGAv2's I(G_s;Y) term under the constraint I(G_s;Y) <= I(G_c;Y)), with per-sample
spurious-head loss l_s,i = CE(spurious logits_i, y_i) and causal loss l_c,i:

    S = {i : l_s,i > l_c,i}          (decided on detached values)
    hinge = (1/|S|) sum_{i in S} l_s,i      (0 when S is empty)

What carries gradient in the hinge. l_s flows, undetached, through the spurious head, the shared
classifier GNN's embedding of the spurious subgraph and, via the message weights sigmoid(-s_e) of
the spurious edges, into the edge scorer and the featurizer. That is the point of the term: the
paper maximises I(G_s;Y) to push label-correlated spurious structure into G_s, which only the
subgraph extractor can do. The reference computes z_s and then ``.detach()``es it before the
spurious head, so its hinge trains only that head and the selected subgraphs never feel it
(CIGAv2 then trains the extractor exactly like CIGAv1). ``detach_spurious_rep=True`` reproduces
that. The causal loss enters only through the (non-differentiable) selection S. In the reference
the spurious branch has no CE of its own besides this hinge (it is the spurious head's only
training signal); we do the same, and log the mean spurious CE over the whole batch as ``spu_ce``.

Per-data-set hyperparameters (docs/PROTOCOLS.md, sections B, C and F) are in the experiment
registry, :mod:`hma_graph.experiments.ood_spec`; ratio r goes to the model, alpha and beta to the
objective.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
import torch.nn.functional as F

from ..models.ciga import CIGAModel, CIGAOutput
from .base import Objective, check_labels, per_sample_loss

__all__ = ["CIGAv1", "CIGAv2", "supervised_contrastive_loss", "spurious_hinge"]

def supervised_contrastive_loss(reps: torch.Tensor, y: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """SupCon of (B, d) representations with (B,) integer labels (definition in the module docstring)."""
    if reps.dim() != 2 or y.shape != (reps.shape[0],):
        raise ValueError(f"need reps (B, d) and labels (B,), got {tuple(reps.shape)} and {tuple(y.shape)}")
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    b = reps.shape[0]
    u = F.normalize(reps, dim=1)
    sim = u @ u.t() / temperature                                   # (B, B)
    eye = torch.eye(b, dtype=torch.bool, device=reps.device)
    pos = (y.view(-1, 1) == y.view(1, -1)) & ~eye
    log_denom = torch.logsumexp(sim.masked_fill(eye, float("-inf")), dim=1, keepdim=True)
    log_prob = sim - log_denom
    n_pos = pos.sum(1)
    valid = n_pos > 0
    if not valid.any():
        return reps.new_zeros(()) + 0.0 * reps.sum()  # 0, still attached to the graph
    mean_pos = (log_prob * pos).sum(1)[valid] / n_pos[valid]
    return -mean_pos.mean()


def spurious_hinge(spu_loss: torch.Tensor, causal_loss: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """(hinge, mask): mean of ``spu_loss`` over samples where it exceeds ``causal_loss`` (0 if none)."""
    if spu_loss.shape != causal_loss.shape or spu_loss.dim() != 1:
        raise ValueError("spurious and causal per-sample losses must both have shape (B,)")
    mask = spu_loss.detach() > causal_loss.detach()
    hinge = (spu_loss * mask).sum() / mask.sum().clamp(min=1)
    return hinge, mask


class CIGAv1(Objective):
    """CIGAv1. Args: ``model`` a CIGAModel, ``alpha`` contrastive weight, ``temperature`` tau."""

    name = "cigav1"
    needs_spurious = False

    def __init__(self, model: CIGAModel, alpha: float = 1.0, temperature: float = 1.0):
        if not isinstance(model, CIGAModel):
            raise TypeError(f"{type(self).__name__} needs a hma_graph.models.ciga.CIGAModel, "
                            f"got {type(model).__name__}")
        super().__init__(model)
        if alpha < 0 or temperature <= 0:
            raise ValueError(f"need alpha >= 0 and temperature > 0, got {alpha}, {temperature}")
        self.alpha = float(alpha)
        self.temperature = float(temperature)

    def _outputs(self, g, x) -> CIGAOutput:
        return self.model.outputs(g, x, spurious=self.needs_spurious)

    def spurious_term(self, causal_loss: torch.Tensor, out: CIGAOutput, y: torch.Tensor
                      ) -> Tuple[torch.Tensor, Dict[str, float]]:
        """CIGAv2's hook; v1 adds nothing."""
        return causal_loss.new_zeros(()), {}

    def loss(self, g, x: torch.Tensor, y: torch.Tensor, envs: Optional[torch.Tensor] = None
             ) -> Tuple[torch.Tensor, Dict[str, float]]:
        out = self._outputs(g, x)
        y = check_labels(y, out.causal_logits)
        causal = per_sample_loss(out.causal_logits, y)
        ce = causal.mean()
        con = supervised_contrastive_loss(out.contrast_rep, y.long(), self.temperature)
        extra, logs = self.spurious_term(causal, out, y)
        total = ce + self.alpha * con + extra
        res = {"loss": float(total.detach()), "ce": float(ce.detach()), "contrast": float(con.detach()),
               "causal_edge_frac": float(out.causal_mask.float().mean()) if out.causal_mask.numel() else 0.0}
        res.update(logs)
        return total, res


class CIGAv2(CIGAv1):
    """CIGAv2 = CIGAv1 + beta * hinge. Extra args: ``beta``, ``detach_spurious_rep`` (False;
    True reproduces the reference's detached spurious embedding)."""

    name = "cigav2"
    needs_spurious = True

    def __init__(self, model: CIGAModel, alpha: float = 1.0, beta: float = 1.0, temperature: float = 1.0,
                 detach_spurious_rep: bool = False):
        super().__init__(model, alpha=alpha, temperature=temperature)
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        self.beta = float(beta)
        self.detach_spurious_rep = bool(detach_spurious_rep)

    def _outputs(self, g, x) -> CIGAOutput:
        return self.model.outputs(g, x, spurious=True, detach_spurious_rep=self.detach_spurious_rep)

    def spurious_term(self, causal_loss: torch.Tensor, out: CIGAOutput, y: torch.Tensor
                      ) -> Tuple[torch.Tensor, Dict[str, float]]:
        spu = per_sample_loss(out.spurious_logits, y)
        hinge, mask = spurious_hinge(spu, causal_loss)
        return self.beta * hinge, {"hinge": float(hinge.detach()), "spu_ce": float(spu.detach().mean()),
                                   "hinge_frac": float(mask.float().mean())}
