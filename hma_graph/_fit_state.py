"""The state :func:`hma_graph.train.fit` carries from epoch to epoch and into a checkpoint.

``FitState`` holds the history (per-epoch metrics and times), the best validation value so far and
a copy of the weights there, the epochs without improvement, the epochs done, whether the run
stopped early, the elapsed seconds and the epochs at which it was resumed. ``state`` packs it with
the model, optimiser, scheduler, loader and random states into the dict that
:func:`hma_graph.checkpoint.save` writes; ``restore`` puts such a dict back. A checkpoint is only
restored into a run with the same :func:`fit_signature` (fit's arguments and parameter shapes).
"""
from __future__ import annotations

from . import checkpoint as ckpt
from .metrics import METRICS, select_epoch

__all__ = ["FitState", "describe_optimizer", "fit_signature"]


class FitState:
    """What ``fit`` carries from epoch to epoch, and saves to and restores from a checkpoint."""

    def __init__(self, with_lr: bool):
        self.history = {"train_loss": [], "valid": [], "test": [], "epoch_s": [], "eval_s": [], "train_logs": {}}
        if with_lr:
            self.history["lr"] = []
        self.best_state, self.best_valid, self.since_best = None, None, 0
        self.epochs_done, self.stopped, self.elapsed, self.resumed_at = 0, False, 0.0, []

    def track_best(self, model, counts: bool) -> None:
        """Keep a copy of the weights at a new best validation value; else count the epoch
        towards the patience if ``counts``."""
        if self.best_valid is None or self.history["valid"][-1] > self.best_valid:
            self.best_valid, self.since_best = self.history["valid"][-1], 0
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        elif counts:
            self.since_best += 1

    def state(self, signature: dict, model, opt, sched, loader) -> dict:
        return {"signature": signature, "model": model.state_dict(), "optimizer": opt.state_dict(),
                "history": self.history, "best_state": self.best_state, "best_valid": self.best_valid,
                "since_best": self.since_best, "epochs_done": self.epochs_done, "stopped": self.stopped,
                "elapsed": self.elapsed, "resumed_at": self.resumed_at, "rng": ckpt.rng_state(),
                "scheduler": None if sched is None else sched.state_dict(),
                "loader": loader.state_dict() if hasattr(loader, "state_dict") else None}

    def restore(self, state: dict, model, opt, sched, loader) -> None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        self.history, self.best_state = state["history"], state["best_state"]
        self.best_valid, self.since_best = state["best_valid"], int(state["since_best"])
        self.epochs_done, self.stopped = int(state["epochs_done"]), bool(state["stopped"])
        self.elapsed = float(state["elapsed"])
        self.resumed_at = list(state["resumed_at"]) + [self.epochs_done]
        ckpt.set_rng_state(state["rng"])
        if sched is not None:
            sched.load_state_dict(state["scheduler"])
        if state["loader"] is not None:
            loader.load_state_dict(state["loader"])

    def record(self, metric: str, wall_s: float) -> dict:
        h = self.history
        best = select_epoch(h["valid"], METRICS[metric])
        record = {"metric": metric, "epochs_run": len(h["valid"]), "selected_epoch": best,
                  "valid": h["valid"][best], "test": h["test"][best], "history": h, "wall_s": wall_s}
        if self.resumed_at:
            record["resumed_at"] = self.resumed_at
        return record


def describe_optimizer(opt) -> list:
    """The optimiser's class and per-group hyperparameters (what a resumed run must match)."""
    plain = (int, float, str, bool)
    return [type(opt).__name__] + [{k: v for k, v in g.items() if k != "params" and isinstance(v, plain)}
                                   for g in opt.param_groups]


def fit_signature(model, **args) -> dict:
    """What a checkpoint must match to be resumed: fit's arguments and the parameter shapes."""
    return {**args,
            "state": [[k, list(v.shape)] for k, v in model.state_dict().items()]}
