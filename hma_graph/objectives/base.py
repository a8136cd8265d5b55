"""DomainBed-style training objectives: the interface, shared helpers, and ERM.

An objective wraps a model and turns a batch into a scalar training loss:

    obj = Objective(model, **hparams)
    loss, logs = obj.loss(g, x, y)          # loss: 0-dim tensor with grad; logs: {name: float}
    logits     = obj.predict(g, x)          # (B, C), what the evaluator scores

Shapes: ``g`` a batched DGL graph of B graphs, ``x`` (N, F) node features, ``y`` (B,) labels:
integer class ids in [0, C) for C >= 2 logits, or 0/1 (int or float) for a single logit (C = 1).

Per-sample loss l_i: cross-entropy of softmax(logits_i) for C >= 2; binary cross-entropy with
logits for C = 1. The ERM risk is R = mean_i l_i. Every non-ERM objective (except CIGA, which
needs its own model) adds ONE hook:

    loss = R + penalty(per_sample_loss (B,), logits (B, C), y (B,), envs (B,), reps (B, d) | None)

Environments. These benchmarks have no environment labels, so for objectives that need them
(``uses_envs = True``) each batch is split at random into ``num_envs`` (default 2) environments of
sizes differing by at most one: a permutation drawn with ``torch.randperm`` (torch's global RNG,
so ``torch.manual_seed`` reproduces it), position p of the permutation goes to environment
floor(p * num_envs / B). An explicit ``envs`` (B,) tensor of environment ids may be passed
instead. ERM draws no random numbers.

HMA. If the model carries ``hma_wrapped = True`` (set by :func:`hma_graph.apply`), training
forward passes call ``model(g, x, labels=y)`` so the memory is written, and prediction calls
``model(g, x)``; :func:`model_logits` is that one rule. Objectives that need the pooled
representation (``needs_reps``) call ``model.embed`` then ``model.head`` (one forward pass) and
are not available for HMA-wrapped models.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
from torch import nn

from ..losses import loss as classification_loss

__all__ = ["Objective", "ERM", "model_logits", "per_sample_loss", "check_labels",
           "random_environments"]


def model_logits(model: nn.Module, g, x: torch.Tensor, y: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Logits of ``model`` on a batch; passes ``labels=y`` to HMA-wrapped models when ``y`` is given."""
    if y is not None and getattr(model, "hma_wrapped", False):
        return model(g, x, labels=y)
    return model(g, x)


def check_labels(y: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """Validate labels against (B, C) logits; returns y as long (C >= 2) or float (C == 1), shape (B,)."""
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (batch, classes), got {tuple(logits.shape)}")
    b, c = logits.shape
    if not torch.is_tensor(y):
        raise TypeError(f"labels must be a tensor, got {type(y).__name__}")
    if y.dim() == 2 and y.shape[1] == 1:
        y = y.view(-1)
    if y.dim() != 1 or y.shape[0] != b:
        raise ValueError(f"labels must have shape ({b},) to match {b} graphs, got {tuple(y.shape)}")
    if b == 0:
        raise ValueError("empty batch: no graphs to compute a loss on")
    if torch.is_floating_point(y):
        if torch.isnan(y).any():
            raise ValueError("labels contain NaN (missing-label masking is not supported here)")
        if (y != torch.round(y)).any():
            raise ValueError("labels must be integer class ids")
    yl = y.long()
    hi = 2 if c == 1 else c
    if (yl < 0).any() or (yl >= hi).any():
        raise ValueError(f"labels out of range: expected values in [0, {hi}) for {c} logit(s), "
                         f"got min {int(yl.min())}, max {int(yl.max())}")
    return yl.to(logits.dtype) if c == 1 else yl


def per_sample_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(B,) cross-entropy per graph (binary cross-entropy with logits when C == 1)."""
    y = check_labels(y, logits)
    return classification_loss(logits, y, "bce" if logits.shape[1] == 1 else "ce", reduction="none")


def random_environments(batch_size: int, num_envs: int = 2,
                        device: Optional[torch.device] = None) -> torch.Tensor:
    """(B,) environment ids: a uniformly random split into ``num_envs`` groups of near-equal size."""
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    perm = torch.randperm(batch_size)
    envs = torch.empty(batch_size, dtype=torch.long)
    envs[perm] = torch.arange(batch_size) * num_envs // max(batch_size, 1)
    return envs.to(device) if device is not None else envs


class Objective:
    """Base objective = ERM plus an optional penalty hook (see module docstring).

    Args:
        model: a graph classifier ``model(g, x) -> (B, C)``.
        num_envs: environments per batch for objectives that use them.
    """

    name = "erm"
    uses_envs = False     # draw a random environment split per batch
    needs_reps = False    # pass the pooled representation (B, d) to ``penalty``

    def __init__(self, model: nn.Module, num_envs: int = 2):
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if int(num_envs) < 1:
            raise ValueError(f"num_envs must be >= 1, got {num_envs}")
        self.model = model
        self.num_envs = int(num_envs)

    # --- the hook ---------------------------------------------------------------------------
    def penalty(self, per_sample_loss: torch.Tensor, logits: torch.Tensor, y: torch.Tensor,
                envs: Optional[torch.Tensor], reps: Optional[torch.Tensor]
                ) -> Tuple[torch.Tensor, Dict[str, float]]:
        """Weighted penalty added to the ERM risk, and raw values to log. ERM: zero."""
        return per_sample_loss.new_zeros(()), {}

    # --- shared machinery -------------------------------------------------------------------
    def forward_train(self, g, x: torch.Tensor, y: torch.Tensor
                      ) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
        if not self.needs_reps:
            return model_logits(self.model, g, x, y), None
        if getattr(self.model, "hma_wrapped", False):
            raise ValueError(f"objective {self.name!r} needs the pooled graph representation and "
                             "is not supported for HMA-wrapped models (use erm, irm or vrex)")
        if not (hasattr(self.model, "embed") and hasattr(self.model, "head")):
            raise ValueError(f"objective {self.name!r} needs a model with .embed(g, x) and .head")
        reps = self.model.embed(g, x)
        return self.model.head(reps), reps

    def _environments(self, envs: Optional[torch.Tensor], b: int, device) -> Optional[torch.Tensor]:
        if envs is None:
            return random_environments(b, self.num_envs, device) if self.uses_envs else None
        if not torch.is_tensor(envs) or envs.shape != (b,) or torch.is_floating_point(envs):
            raise ValueError(f"envs must be an integer tensor of shape ({b},)")
        if (envs < 0).any():
            raise ValueError("environment ids must be non-negative")
        return envs.to(device).long()

    def loss(self, g, x: torch.Tensor, y: torch.Tensor, envs: Optional[torch.Tensor] = None
             ) -> Tuple[torch.Tensor, Dict[str, float]]:
        logits, reps = self.forward_train(g, x, y)
        y = check_labels(y, logits)
        per = per_sample_loss(logits, y)
        erm = per.mean()
        envs = self._environments(envs, per.shape[0], per.device)
        pen, logs = self.penalty(per, logits, y, envs, reps)
        total = erm + pen
        out = {"loss": float(total.detach()), "erm": float(erm.detach())}
        out.update(logs)
        return total, out

    def predict(self, g, x: torch.Tensor) -> torch.Tensor:
        return model_logits(self.model, g, x)

    def parameters(self):
        return self.model.parameters()

    def __repr__(self) -> str:
        hp = {k: v for k, v in vars(self).items() if k != "model"}
        return f"{type(self).__name__}({', '.join(f'{k}={v}' for k, v in hp.items())})"


class ERM(Objective):
    """Empirical risk minimisation: loss = mean_i l_i (the base class with no penalty)."""

    name = "erm"

    def __init__(self, model: nn.Module):
        super().__init__(model)


def env_groups(envs: torch.Tensor):
    """Yield boolean masks of the non-empty environments, in increasing id order."""
    for e in torch.unique(envs).tolist():
        yield envs == e
