"""Hyperparameter search on validation only: Optuna studies over registry overrides.

    python benchmarks/search.py --datasets bace --models gin --trials 48      # one study per cell

A study searches one cell (benchmark, profile, data set, model/method) over a space from the
registry (e.g. :data:`hma_graph.experiments.table3_spec.SEARCH_SPACES`): each parameter names a
config key (``"hma.memory_size"``) and its values, and a trial is one resolved config with those
overrides (on top of ``fixed`` overrides shared by every trial). The objective is the best
validation metric over the epochs (the selection rule of the benchmarks), averaged over the search
seeds; the test set is never evaluated (``run_spec(..., evaluate_test=False)``). Every epoch
reports the best-so-far validation value, so a pruner (default: successive halving, the synchronous
form of ASHA, rungs at 10, 30, 90 epochs) stops poor trials early. A grid sampler enumerates the space without repeats.

Storage: one Optuna journal file per results folder (``<out>/search.journal``, a text log of
every trial, committed like the records), shared by all workers through file locks, so the same
command resumes a search and several processes (or Ray tasks, on a cluster with the folder on a
shared file system) work on it together. A trial that was running when its process died is marked
failed when the next command starts, and its parameters are queued again; its training resumes from
the checkpoint it left in ``<out>/.partial/``.
"""
from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from .registry import config_hash, merge, resolve
from .store import run_name

__all__ = ["overrides_of", "make_study", "optimize", "recover_dead_trials", "trials_table"]


def overrides_of(params: Mapping, space: Mapping[str, Tuple[str, Sequence]]) -> dict:
    """Nested overrides from sampled ``params`` and ``space`` {name: ("section.key", values)}."""
    out: Dict[str, dict] = {}
    for name, value in params.items():
        section, key = space[name][0].split(".", 1)
        out.setdefault(section, {})[key] = value
    return out


def make_study(study_name: str, folder, space: Mapping, pruner="halving"):
    """The study ``study_name`` in ``<folder>/search.journal`` (created or loaded): a grid over
    ``space``; ``pruner`` "halving" (default), "none" or an ``optuna.pruners`` object."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    Path(folder).mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(Path(folder) / "search.journal")))
    pruners = {"halving": optuna.pruners.SuccessiveHalvingPruner(min_resource=10, reduction_factor=3),
               "none": optuna.pruners.NopPruner()}
    if isinstance(pruner, str):
        if pruner not in pruners:
            raise ValueError(f"pruner must be one of {sorted(pruners)} or an optuna pruner, got {pruner!r}")
        pruner = pruners[pruner]
    sampler = optuna.samplers.GridSampler({k: list(v[1]) for k, v in space.items()}, seed=0)
    return optuna.create_study(study_name=study_name, storage=storage, sampler=sampler,
                               pruner=pruner, direction="maximize", load_if_exists=True)


def recover_dead_trials(study) -> List[int]:
    """Mark trials left RUNNING by a dead process on this host as failed and queue their
    parameters again; returns their numbers."""
    import optuna

    out = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        host, pid = t.user_attrs.get("host"), t.user_attrs.get("pid")
        if host != socket.gethostname() or pid is None or _alive(int(pid)):
            continue
        study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
        study.enqueue_trial(t.params, skip_if_exists=False)
        out.append(t.number)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _objective(benchmark: str, profile: str, spec: Mapping, space: Mapping, seeds: Sequence[int], folder,
               options: Mapping, fixed: Mapping):
    import optuna

    from .run import run_spec

    def objective(trial):
        params = {k: trial.suggest_categorical(k, list(v[1])) for k, v in space.items()}
        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", os.getpid())
        over = merge(fixed, overrides_of(params, space), strict=False)
        values, t0 = [], time.perf_counter()
        for i, seed in enumerate(seeds):
            cfg = resolve(benchmark, profile, {**spec, "seed": seed}, over)
            trial.set_user_attr(f"config_{seed}", config_hash(cfg))
            ckpt = Path(folder) / ".partial" / f"{run_name({**spec, 'seed': seed})}.{config_hash(cfg)}.pt"
            reported = []

            def report(epoch, history, i=i):
                best = max(v for v in history["valid"] if v is not None)
                if i == 0:  # intermediate values: the first search seed's best-so-far validation
                    for e in range(len(reported), epoch + 1):
                        trial.report(max(history["valid"][:e + 1]), e)
                        reported.append(e)
                    if trial.should_prune():
                        raise optuna.TrialPruned(f"pruned at epoch {epoch} (best valid {best:.4f})")

            try:
                rec = run_spec(cfg, evaluate_test=False, on_epoch=report, checkpoint=ckpt, **options)
            except optuna.TrialPruned:
                ckpt.unlink(missing_ok=True)  # a pruned trial never resumes
                raise
            values.append(rec["valid"])
            trial.set_user_attr(f"valid_{seed}", rec["valid"])
            trial.set_user_attr(f"epoch_{seed}", rec["selected_epoch"])
        trial.set_user_attr("wall_s", time.perf_counter() - t0)
        return sum(values) / len(values)

    return objective


def optimize(benchmark: str, profile: str, spec: Mapping, space: Mapping, folder, *, trials: int,
             seeds: Sequence[int] = (0,), pruner="halving", options: Optional[Mapping] = None,
             fixed: Optional[Mapping] = None) -> object:
    """Run the study of one cell until it holds ``trials`` finished (complete or pruned) trials."""
    import optuna

    name = run_name({k: v for k, v in spec.items() if k != "seed"})
    study = make_study(f"{benchmark}-{profile}-{name}", folder, space, pruner)
    recover_dead_trials(study)
    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    left = trials - len(study.get_trials(deepcopy=False, states=done))
    if left > 0:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study.optimize(_objective(benchmark, profile, spec, space, seeds, folder, options or {}, fixed or {}),
                       n_trials=left,
                       callbacks=[optuna.study.MaxTrialsCallback(trials, states=done)], catch=())
    return study


def trials_table(study, space: Mapping, metric: str = "rocauc") -> List[dict]:
    """Finished trials, best first: parameters, state, objective, epochs reported, wall time."""
    import optuna

    rows = []
    for t in study.get_trials(deepcopy=False):
        if t.state not in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED):
            continue
        value = t.value if t.state == optuna.trial.TrialState.COMPLETE else max(t.intermediate_values.values(), default=None)
        rows.append({"number": t.number, "state": t.state.name.lower(), **{k: t.params[k] for k in space},
                     "value": value, "epochs": len(t.intermediate_values), "wall_s": t.user_attrs.get("wall_s")})
    return sorted(rows, key=lambda r: (r["state"] != "complete", -(r["value"] or 0.0)))
