"""One training run: epochs of optimisation, evaluation every epoch, test at the best validation.

    record = fit(model, train_loader, valid_loader, test_loader, metric="accuracy", epochs=100)

Loss: ``"ce"`` (cross-entropy, labels (B,)) or ``"bce"`` (binary cross-entropy with logits on the
labelled entries only: labels (B, T), NaN = unlabelled, as OGB's molecule tasks). HMA-wrapped
models (``model.hma_wrapped``) are called with ``labels=`` in training so their memory is written;
evaluation calls them without labels in eval mode. ``inputs(g)`` maps a batched graph to the
model's positional arguments (default ``(g, g.ndata["feat"])``).

Objectives (optional, :mod:`hma_graph.objectives`): ``fit(..., objective=obj)`` trains with
``loss, logs = obj.loss(*inputs(g), y)`` instead of ``loss=`` and evaluates with
``obj.predict(*inputs(g))`` (e.g. CIGA predicts from the causal subgraph). ``objective`` is an
``Objective`` built around ``model`` itself, or a registered name (``"irm"``, ...) built with its
default hyperparameters. Every value of ``logs`` is averaged over the epoch's graphs (batch-size
weighted, over the batches that reported it) into ``history["train_logs"][name]``; the training
loss of an epoch is the same average of the objective's total loss.

Early stopping (optional, docs/PROTOCOLS.md, "Rules shared by all benchmarks"): after ``warmup`` epochs,
stop when the validation
metric has not improved for ``patience`` epochs. By default epochs without improvement count from
the start, so a run may stop right at the end of the warm-up. ``count_warmup=False`` counts only
epochs with index >= ``warmup`` (0-based), as CIGA's code (``cnt += epoch >= pretrain``, reset on
improvement): such a run lasts at least ``warmup + patience`` epochs.

The model leaves ``fit`` with the weights (and buffers) of the selected epoch. The record holds
every epoch's metrics, the selected epoch (best validation, earliest on ties),
the test value there and the wall time (``wall_s`` for the run; per epoch ``history["epoch_s"]``
training and ``history["eval_s"]`` evaluation seconds).

Resuming (optional): ``fit(..., checkpoint="run.pt")`` saves the whole training state after an
epoch (at most every ``checkpoint_every_s`` seconds; always when the run stops early): model and
optimiser state (HMA's memory queue and momentum copy are buffers, so they are included), the
history, the best weights so far, torch's random states (CPU and CUDA) and the training loader's (its
``state_dict()``, e.g. :class:`~hma_graph.data.loader.GraphLoader`'s shuffling generator). A later
``fit`` with the same arguments on a freshly built model continues from the saved epoch and gives
the same record, bit for bit, as an uninterrupted run (the interruption is listed in
``record["resumed_at"]``). The file (:mod:`hma_graph.checkpoint`) is written atomically with a
SHA-256 of its payload, loads with ``torch.load(weights_only=True)``, is refused with a clear error
when it is corrupt or when the run's arguments or parameter shapes differ, and is deleted when
``fit`` returns.
"""
from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Union

import torch
from tqdm import tqdm

from . import checkpoint as ckpt
from ._fit_state import FitState, describe_optimizer, fit_signature
from .guards import check_inputs, non_finite_message
from .losses import LOSSES, loss as classification_loss
from .metrics import METRICS, compute_metric

__all__ = ["fit", "predict", "train_epoch", "default_inputs"]


def default_inputs(g):
    return (g, g.ndata["feat"])


def _resolve_objective(objective, model):
    """None, or an Objective whose ``model`` is ``model`` (a name is built with defaults)."""
    if objective is None:
        return None
    if isinstance(objective, str):
        from .objectives import make_objective

        return make_objective(objective, model)
    if not (callable(getattr(objective, "loss", None)) and callable(getattr(objective, "predict", None))):
        raise TypeError(f"objective must provide loss(g, x, y) and predict(g, x), got {type(objective).__name__}")
    if getattr(objective, "model", model) is not model:
        raise ValueError("the objective wraps a different model than the one passed to fit(); build it "
                         "around the same module (make_objective(name, model, ...))")
    return objective


def train_epoch(model, loader, opt, loss: str = "ce", inputs: Callable = default_inputs,
                objective=None, logs: Optional[Dict[str, float]] = None,
                clip_grad_norm: Optional[float] = None) -> float:
    """One pass over ``loader``; returns the graph-weighted mean training loss.

    With ``objective``, its ``loss`` is optimised and, if ``logs`` is a dict, it receives the
    graph-weighted epoch mean of every value the objective logged. ``clip_grad_norm``: clip the
    gradient norm of all parameters to this value before each step
    (``torch.nn.utils.clip_grad_norm_``).
    """
    model.train()
    objective = _resolve_objective(objective, model)
    hma = getattr(model, "hma_wrapped", False)
    total, n = 0.0, 0
    sums: Dict[str, float] = {}
    counts: Dict[str, int] = {}
    for step, (g, y) in enumerate(loader):
        args = inputs(g)
        check_inputs(args, step, loader)  # before the forward: batch-norm statistics stay clean too
        if objective is not None:
            value, batch_logs = objective.loss(*args, y)
            for k, v in batch_logs.items():
                sums[k] = sums.get(k, 0.0) + float(v) * y.shape[0]
                counts[k] = counts.get(k, 0) + y.shape[0]
        else:
            logits = model(*args, labels=y) if hma else model(*args)
            value = classification_loss(logits, y, loss)
        v = float(value.detach())
        ws = getattr(loader, "world_size", 1)
        if ws > 1:  # DDP averages the ranks' gradients: weight this rank's mean by its share
            value = value * (y.shape[0] * ws / loader.last_global_size)
        if not math.isfinite(v):  # before the step: the parameters stay as they were
            raise FloatingPointError(non_finite_message(v, step, args, y))
        opt.zero_grad(set_to_none=True)
        value.backward()
        if clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], clip_grad_norm)
        opt.step()
        total += v * y.shape[0]
        n += y.shape[0]
    if logs is not None:
        logs.update({k: sums[k] / counts[k] for k in sums})
    return total / max(n, 1)


@torch.no_grad()
def predict(model, loader, inputs: Callable = default_inputs, objective=None):
    """Logits and labels over a loader, in eval mode (memory is never written).

    With ``objective``, logits are ``objective.predict(*inputs(g))``.
    """
    model.eval()
    objective = _resolve_objective(objective, model)
    outs, ys = [], []
    for g, y in loader:
        outs.append(objective.predict(*inputs(g)) if objective is not None else model(*inputs(g)))
        ys.append(y)
    return torch.cat(outs), torch.cat(ys)


def fit(model, train_loader, valid_loader, test_loader, *, metric: str, epochs: int, lr: float = 1e-3,
        weight_decay: float = 0.0, loss: str = "ce", inputs: Callable = default_inputs,
        warmup: Optional[int] = None, patience: Optional[int] = None, progress: bool = True,
        desc: str = "train", extra_eval: Optional[Dict[str, Callable]] = None,
        objective=None, count_warmup: bool = True, hma_lr: Optional[float] = None,
        checkpoint: Union[str, os.PathLike, None] = None, checkpoint_every_s: float = 60.0,
        optimizer: Optional[Callable] = None, clip_grad_norm: Optional[float] = None,
        on_epoch: Optional[Callable] = None, lr_step: Optional[Sequence[float]] = None) -> dict:
    """Train ``model`` and return the run record (see module docstring).

    ``extra_eval``: name -> function(model) -> value, run on the model restored to the selected
    epoch's weights (e.g. the test metric under a second inference mode); stored in
    ``record["extra"]``.
    ``objective``: an :class:`hma_graph.objectives.Objective` around ``model`` (or its name);
    replaces ``loss`` for training and the model's forward for evaluation.
    ``count_warmup``: whether epochs inside the warm-up count towards ``patience`` (see the
    module docstring).
    ``hma_lr``: learning rate of the HMA layer's parameters (default: ``lr``); needs a model built
    by :func:`hma_graph.apply` (see ``HMAModel.param_groups``).
    ``checkpoint``: file to save the training state to and resume it from (module docstring);
    ``checkpoint_every_s``: minimum seconds between two saves (0: after every epoch).
    ``optimizer``: ``factory(params) -> torch.optim.Optimizer`` called with the parameter groups
    (default ``torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)``); the groups are
    ``model.param_groups(lr, hma_lr)`` with ``hma_lr``, else ``model.parameters()``.
    ``clip_grad_norm``: gradient-norm clipping before every step (default: none).
    ``on_epoch``: ``fn(epoch, history)`` after every epoch's evaluation (e.g. a search's pruner; an
    exception it raises ends the run). ``lr_step=(every, gamma)``: every learning rate is multiplied
    by gamma after every ``every`` epochs (``torch.optim.lr_scheduler.StepLR``, stepped once per
    epoch after its evaluation, as G-Mixup's script does); the rate each epoch trained with is
    ``history["lr"]``. ``test_loader=None``: the test set is never evaluated
    (``history["test"]`` and ``record["test"]`` hold None), as in a hyperparameter search.
    """
    _check_fit_args(loss, metric, epochs, clip_grad_norm)
    objective = _resolve_objective(objective, model)
    opt, sched = _optimizer(model, lr=lr, hma_lr=hma_lr, weight_decay=weight_decay, optimizer=optimizer,
                            lr_step=lr_step)
    signature = fit_signature(model, metric=metric, epochs=epochs, lr=lr, hma_lr=hma_lr,
                              weight_decay=weight_decay, loss=loss if objective is None else type(objective).__name__,
                              warmup=warmup, patience=patience, count_warmup=count_warmup,
                              clip_grad_norm=clip_grad_norm, optimizer=describe_optimizer(opt),
                              **({} if lr_step is None else {"lr_step": [float(x) for x in lr_step]}))
    checkpoint = None if checkpoint is None else Path(checkpoint)
    run = FitState(with_lr=sched is not None)
    if checkpoint is not None and checkpoint.exists():
        run.restore(ckpt.load(checkpoint, signature), model, opt, sched, train_loader)
    start, last_save = time.perf_counter() - run.elapsed, time.perf_counter()
    bar = tqdm(range(run.epochs_done, epochs if not run.stopped else run.epochs_done), desc=desc,
               disable=not progress, leave=False, initial=run.epochs_done, total=epochs)
    for epoch in bar:
        _train_logged(run.history, epoch, model, train_loader, opt, loss, inputs, objective, clip_grad_norm)
        _evaluate(run.history, epoch, metric, model, {"valid": valid_loader, "test": test_loader}, inputs, objective)
        if sched is not None:
            run.history["lr"].append(opt.param_groups[0]["lr"])
            sched.step()
        run.track_best(model, counts=count_warmup or epoch >= (warmup or 0))
        bar.set_postfix(loss=f"{run.history['train_loss'][-1]:.3f}", valid=f"{run.history['valid'][-1]:.3f}")
        run.epochs_done = epoch + 1
        run.stopped = patience is not None and epoch + 1 >= (warmup or 0) and run.since_best >= patience
        if checkpoint is not None and epoch + 1 < epochs and (
                run.stopped or time.perf_counter() - last_save >= checkpoint_every_s):
            run.elapsed = time.perf_counter() - start
            ckpt.save(run.state(signature, model, opt, sched, train_loader), checkpoint)
            last_save = time.perf_counter()
        if on_epoch is not None:
            on_epoch(epoch, run.history)
        if run.stopped:
            break
    bar.close()
    return _finish(run, model, metric, time.perf_counter() - start, extra_eval, checkpoint)


def _finish(run, model, metric: str, wall_s: float, extra_eval, checkpoint: Optional[Path]) -> dict:
    """The run's record; leaves ``model`` at the selected epoch's weights and deletes the checkpoint."""
    record = run.record(metric, wall_s=wall_s)
    model.load_state_dict(run.best_state)
    if extra_eval:
        record["extra"] = {name: fn(model) for name, fn in extra_eval.items()}
    if checkpoint is not None and checkpoint.exists():
        checkpoint.unlink()
    return record


def _optimizer(model, *, lr, hma_lr, weight_decay, optimizer, lr_step):
    """``fit``'s optimizer over ``model``'s parameter groups and its step schedule (or None)."""
    if hma_lr is not None and not hasattr(model, "param_groups"):
        raise ValueError(f"hma_lr={hma_lr} needs a model built by hma_graph.apply; got {type(model).__name__}")
    params = model.param_groups(lr, hma_lr) if hma_lr is not None else model.parameters()
    opt = (optimizer or (lambda ps: torch.optim.Adam(ps, lr=lr, weight_decay=weight_decay)))(params)
    return opt, _step_schedule(opt, lr_step)


def _check_fit_args(loss: str, metric: str, epochs: int, clip_grad_norm: Optional[float]) -> None:
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {LOSSES}, got {loss!r}")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ValueError(f"clip_grad_norm must be > 0, got {clip_grad_norm}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {sorted(METRICS)}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")


def _train_logged(history: dict, epoch: int, model, loader, opt, loss, inputs, objective, clip_grad_norm) -> None:
    """One training epoch; appends its loss, time and objective logs to ``history``."""
    if hasattr(objective, "set_epoch"):  # objectives with an epoch schedule (DIR)
        objective.set_epoch(epoch)
    t0 = time.perf_counter()
    logs: Dict[str, float] = {}
    try:
        train_loss = train_epoch(model, loader, opt, loss, inputs, objective, logs, clip_grad_norm)
    except FloatingPointError as e:
        raise FloatingPointError(f"epoch {epoch}, {e}") from None
    history["train_loss"].append(train_loss)
    history["epoch_s"].append(time.perf_counter() - t0)
    for k, v in logs.items():  # a key first logged late gets None for the earlier epochs
        history["train_logs"].setdefault(k, [None] * epoch).append(v)
    for vals in history["train_logs"].values():
        if len(vals) < epoch + 1:
            vals.append(None)


def _evaluate(history: dict, epoch: int, metric: str, model, loaders: dict, inputs, objective) -> None:
    """Appends the metric on every split of ``loaders`` (None for a None loader) and the time taken."""
    t0 = time.perf_counter()
    for split, loader in loaders.items():
        history[split].append(None if loader is None else _score(metric, model, loader, inputs, objective,
                                                                  f"epoch {epoch}, {split}"))
    history["eval_s"].append(time.perf_counter() - t0)


def _step_schedule(opt, lr_step):
    """StepLR(opt, every, gamma) for ``lr_step = (every, gamma)``, or None."""
    if lr_step is None:
        return None
    every, gamma = lr_step
    if int(every) != every or every < 1 or not 0 < gamma <= 1:
        raise ValueError(f"lr_step must be (every >= 1 epochs, 0 < gamma <= 1), got {list(lr_step)}")
    return torch.optim.lr_scheduler.StepLR(opt, step_size=int(every), gamma=float(gamma))


def _score(metric: str, model, loader, inputs, objective, where: str) -> float:
    logits, y = predict(model, loader, inputs, objective)
    if not bool(torch.isfinite(logits).all()):
        raise FloatingPointError(f"{where}: {int((~torch.isfinite(logits)).any(-1).sum())} of {len(logits)} "
                                 "predictions are NaN/inf (non-finite inputs in this split, or a diverged model)")
    return compute_metric(metric, logits, y)
