"""Metrics, model selection and seed averaging, shared by every benchmark.

One table (``METRICS``) names each metric, its direction and how it is computed, like OGB's
``master.csv`` + ``Evaluator``: datasets name a metric, and evaluation reads it from here.

* ``accuracy``: mean of argmax(logits) == y  (multi-class logits (n, C), labels (n,)).
* ``mcc``: ``sklearn.metrics.matthews_corrcoef`` on argmax predictions (TU size shift).
* ``rocauc``: ``ogb.graphproppred.Evaluator`` ROC-AUC, averaged over tasks with both classes
  present (single- or multi-task logits (n, T), labels (n, T) with NaN = unlabelled).

``select_epoch(history)`` returns the epoch with the best validation value (first one on ties),
and ``summarize(values)`` the mean and sample standard deviation (ddof = 1) over seeds.
"""
from __future__ import annotations

import math
from typing import Dict, Sequence, Tuple

import numpy as np
import torch

__all__ = ["METRICS", "compute_metric", "device_metric", "select_epoch", "summarize"]

METRICS: Dict[str, str] = {"accuracy": "max", "mcc": "max", "rocauc": "max"}


def _check(name: str, logits: torch.Tensor, labels: torch.Tensor):
    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}")
    logits, labels = torch.as_tensor(logits).detach().cpu(), torch.as_tensor(labels).detach().cpu()
    if logits.shape[0] != labels.shape[0]:
        raise ValueError(f"{logits.shape[0]} predictions but {labels.shape[0]} labels")
    if logits.shape[0] == 0:
        raise ValueError("cannot compute a metric on 0 examples")
    return logits, labels


def compute_metric(name: str, logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The metric ``name`` of (n, C) logits against labels. On an accelerator it is computed where
    the tensors are (:func:`device_metric`, torchmetrics); on the CPU with the reference
    implementations (ogb's Evaluator, scikit-learn), which the device path equals to 1e-6 (tested)."""
    if torch.is_tensor(logits) and logits.device.type != "cpu":
        return device_metric(name, logits, labels)
    logits, labels = _check(name, logits, labels)
    if name == "rocauc":
        from . import _compat

        _compat.install()  # before ogb imports dgl
        from ogb.graphproppred import Evaluator

        y = labels.reshape(labels.shape[0], -1).float().numpy()
        p = logits.reshape(logits.shape[0], -1).float().numpy()
        if y.shape != p.shape:
            raise ValueError(f"rocauc needs logits and labels of the same shape, got {p.shape} and {y.shape}")
        ev = Evaluator("ogbg-molhiv")
        ev.num_tasks = y.shape[1]
        try:
            return float(ev.eval({"y_true": y, "y_pred": p})["rocauc"])
        except RuntimeError as e:  # ogb: no task with both classes
            raise ValueError(f"ROC-AUC undefined: {e}") from e
    if logits.dim() != 2 or logits.shape[1] < 2:
        raise ValueError(f"{name} needs multi-class logits (n, C >= 2), got {tuple(logits.shape)}")
    pred = logits.argmax(1)
    y = labels.reshape(-1).long()
    if name == "accuracy":
        return float((pred == y).float().mean())
    from sklearn.metrics import matthews_corrcoef

    return float(matthews_corrcoef(y.numpy(), pred.numpy()))


def select_epoch(valid: Sequence[float], mode: str = "max") -> int:
    """Index of the best validation value; the earliest on ties. NaN values are never chosen."""
    if len(valid) == 0:
        raise ValueError("no validation values to select from")
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    sign = 1.0 if mode == "max" else -1.0
    best, best_i = -math.inf, None
    for i, v in enumerate(valid):
        if v is not None and not math.isnan(v) and sign * v > best:
            best, best_i = sign * v, i
    if best_i is None:
        raise ValueError("every validation value is NaN")
    return best_i


def summarize(values: Sequence[float]) -> Tuple[float, float]:
    """(mean, sample std with ddof=1) over seeds; std is 0.0 for a single value."""
    arr = np.asarray(list(values), dtype=float)
    if arr.size == 0:
        raise ValueError("no values to summarize")
    return float(arr.mean()), float(arr.std(ddof=1)) if arr.size > 1 else 0.0


def device_metric(name: str, logits: torch.Tensor, labels: torch.Tensor) -> float:
    """:func:`compute_metric` computed on the tensors' own device with torchmetrics, one host
    transfer (the final value). ROC-AUC follows OGB: the mean over tasks with both classes among
    their labelled (non-NaN) entries; scores enter as ranks, so ties stay ties and no sigmoid
    (which saturates) is applied."""
    from torchmetrics.functional.classification import binary_auroc, multiclass_matthews_corrcoef

    if name not in METRICS:
        raise ValueError(f"unknown metric {name!r}; known: {sorted(METRICS)}")
    if logits.shape[0] != labels.shape[0] or logits.shape[0] == 0:
        raise ValueError(f"{logits.shape[0]} predictions for {labels.shape[0]} labels")
    if name == "rocauc":
        y = labels.reshape(labels.shape[0], -1).float()
        p = logits.reshape(logits.shape[0], -1).float()
        per_task = []
        for t in range(y.shape[1]):
            m = ~torch.isnan(y[:, t])
            yt, pt = y[m, t], p[m, t]
            if bool((yt == 1).any()) and bool((yt == 0).any()):
                uniq, rank = torch.unique(pt, return_inverse=True)
                per_task.append(binary_auroc(rank.float() / max(len(uniq) - 1, 1), yt.long()))
        if not per_task:
            raise ValueError("ROC-AUC undefined: no task has both classes among its labelled entries")
        return float(torch.stack(per_task).mean())
    pred, y = logits.argmax(1), labels.reshape(-1).long()
    if name == "accuracy":
        return float((pred == y).float().mean())
    return float(multiclass_matthews_corrcoef(pred, y, num_classes=logits.shape[1]))
