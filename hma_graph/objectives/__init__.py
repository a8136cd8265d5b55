"""Training objectives for the OOD protocols (docs/PROTOCOLS.md, section D): ERM, IRMv1, V-REx, IB-IRM, CIGAv1/v2, DIR.

    obj = make_objective("irm", model, penalty_weight=10.0)
    loss, logs = obj.loss(g, x, y)        # training step: loss.backward(); optimizer.step()
    logits = obj.predict(g, x)            # evaluation

``OBJECTIVES`` maps each name to its class. The CIGA objectives need a
:class:`hma_graph.models.ciga.CIGAModel`; the others take any ``model(g, x) -> (B, C)``
(IB-IRM also needs ``model.embed`` and ``model.head``). Only ERM, IRM and V-REx accept an
HMA-wrapped model (``hma_graph.apply``).
"""
from __future__ import annotations

from typing import Dict, Type

from .base import ERM, Objective, check_labels, model_logits, per_sample_loss, random_environments
from .ciga import (CIGAv1, CIGAv2, spurious_hinge,
                   supervised_contrastive_loss)
from .dir import DIR, interventional_risks
from .ibirm import IBIRM, ib_penalty
from .mixup import ManifoldMixup
from .irm import IRM, irm_penalty
from .vrex import VREx, vrex_penalty

OBJECTIVES: Dict[str, Type[Objective]] = {
    "erm": ERM,
    "irm": IRM,
    "vrex": VREx,
    "ibirm": IBIRM,
    "cigav1": CIGAv1,
    "cigav2": CIGAv2,
    "dir": DIR,
    "mmixup": ManifoldMixup,
}


def make_objective(name: str, model, **hparams) -> Objective:
    """Build the objective registered under ``name`` (case-insensitive) around ``model``."""
    key = str(name).lower()
    if key not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; choose one of {sorted(OBJECTIVES)}")
    return OBJECTIVES[key](model, **hparams)


__all__ = ["OBJECTIVES", "make_objective", "Objective", "ERM", "IRM", "VREx", "IBIRM", "CIGAv1",
           "CIGAv2", "DIR", "interventional_risks", "ManifoldMixup", "irm_penalty", "vrex_penalty", "ib_penalty",
           "supervised_contrastive_loss",
           "spurious_hinge", "model_logits", "per_sample_loss",
           "check_labels", "random_environments"]
