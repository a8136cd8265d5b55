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
the checkpoint it left in ``<out>/.partial/`` (on the same machine; the folder is not committed). A
running trial's process writes a heartbeat (the user attribute ``heartbeat``, Unix time) into the
journal every ``HEARTBEAT_S`` seconds. Its process counts as dead when it ran on this host and its pid
is gone, or when it ran elsewhere and its last heartbeat (else its start) is more than ``STALE_S``
seconds old: a search whose machine was switched off, continued from the committed journal on
another machine, takes the trial up again instead of leaving it running for ever.
"""
from __future__ import annotations

import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .registry import config_hash, merge, resolve
from .store import run_name

__all__ = ["overrides_of", "make_study", "study_names", "optimize", "recover_dead_trials", "trials_table",
           "HEARTBEAT_S", "STALE_S", "FIRST_RUNG"]

FIRST_RUNG = 10      # step (epoch index) of the halving pruner's first rung: every finished trial reaches it
HEARTBEAT_S = 60.0   # seconds between two heartbeats of a running trial
STALE_S = 300.0      # a trial of another host without a heartbeat for this long is taken as dead


def overrides_of(params: Mapping, space: Mapping[str, Tuple[str, Sequence]]) -> dict:
    """Nested overrides from sampled ``params`` and ``space`` {name: ("section.key", values)}."""
    out: Dict[str, dict] = {}
    for name, value in params.items():
        section, key = space[name][0].split(".", 1)
        out.setdefault(section, {})[key] = value
    return out


def study_names(folder: Union[str, Path]) -> set:
    """Names of the studies in ``<folder>/search.journal``; reads only (no journal: the empty set)."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    path = Path(folder) / "search.journal"
    if not path.is_file():
        return set()
    return set(optuna.get_all_study_names(JournalStorage(JournalFileBackend(str(path)))))


def make_study(study_name: str, folder, space: Mapping, pruner="halving"):
    """The study ``study_name`` in ``<folder>/search.journal`` (created or loaded): a grid over
    ``space``; ``pruner`` "halving" (default), "none" or an ``optuna.pruners`` object."""
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    Path(folder).mkdir(parents=True, exist_ok=True)
    storage = JournalStorage(JournalFileBackend(str(Path(folder) / "search.journal")))
    pruners = {"halving": optuna.pruners.SuccessiveHalvingPruner(min_resource=FIRST_RUNG, reduction_factor=3),
               "none": optuna.pruners.NopPruner()}
    if isinstance(pruner, str):
        if pruner not in pruners:
            raise ValueError(f"pruner must be one of {sorted(pruners)} or an optuna pruner, got {pruner!r}")
        pruner = pruners[pruner]
    sampler = optuna.samplers.GridSampler({k: list(v[1]) for k, v in space.items()}, seed=0)
    return optuna.create_study(study_name=study_name, storage=storage, sampler=sampler,
                               pruner=pruner, direction="maximize", load_if_exists=True)


def recover_dead_trials(study, stale_s: float = STALE_S) -> List[int]:
    """Mark trials left RUNNING by a dead process as failed and queue their parameters again;
    returns their numbers. Dead: on this host, its pid is gone; on another host, no heartbeat (or,
    before the first one, no start) for more than ``stale_s`` seconds."""
    import optuna

    out = []
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        if not _dead(t, stale_s):
            continue
        study._storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
        study.enqueue_trial(t.params, skip_if_exists=False)
        out.append(t.number)
    return out


def _dead(trial, stale_s: float) -> bool:
    host, pid = trial.user_attrs.get("host"), trial.user_attrs.get("pid")
    if host == socket.gethostname() and pid is not None:
        return not _alive(int(pid))
    last = trial.user_attrs.get("heartbeat")
    if last is None and trial.datetime_start is not None:
        last = trial.datetime_start.timestamp()  # optuna stores local time
    return last is not None and time.time() - float(last) > stale_s


@contextmanager
def _heartbeat(trial, every: float):
    """Writes ``time.time()`` to the trial's user attribute ``heartbeat`` now and every ``every`` s."""
    stop = threading.Event()

    def beat():
        while True:
            trial.set_user_attr("heartbeat", time.time())
            if stop.wait(every):
                return

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


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
    def objective(trial):
        params = {k: trial.suggest_categorical(k, list(v[1])) for k, v in space.items()}
        trial.set_user_attr("host", socket.gethostname())
        trial.set_user_attr("pid", os.getpid())
        over = merge(fixed, overrides_of(params, space), strict=False)
        t0 = time.perf_counter()
        with _heartbeat(trial, HEARTBEAT_S):
            values = [_seed_value(trial, benchmark, profile, {**spec, "seed": seed}, over, folder, options,
                                  report=i == 0) for i, seed in enumerate(seeds)]
        trial.set_user_attr("wall_s", time.perf_counter() - t0)
        return sum(values) / len(values)

    return objective


def _seed_value(trial, benchmark: str, profile: str, spec: Mapping, over: Mapping, folder, options: Mapping,
                report: bool) -> float:
    """Best validation value of one search seed's run (test never evaluated). With ``report``, the
    best-so-far validation value is the trial's intermediate value every epoch and the pruner may
    stop the run; a pruned run's checkpoint is deleted (it never resumes)."""
    import optuna

    from .run import run_spec

    cfg = resolve(benchmark, profile, spec, over)
    seed, reported = spec["seed"], []
    trial.set_user_attr(f"config_{seed}", config_hash(cfg))
    ckpt = Path(folder) / ".partial" / f"{run_name(spec)}.{config_hash(cfg)}.pt"

    def on_epoch(epoch, history):
        if not report:
            return
        for e in range(len(reported), epoch + 1):
            trial.report(max(history["valid"][:e + 1]), e)
            reported.append(e)
        if trial.should_prune():
            best = max(v for v in history["valid"] if v is not None)
            raise optuna.TrialPruned(f"pruned at epoch {epoch} (best valid {best:.4f})")

    try:
        rec = run_spec(cfg, evaluate_test=False, on_epoch=on_epoch, checkpoint=ckpt, **options)
    except optuna.TrialPruned:
        ckpt.unlink(missing_ok=True)
        raise
    trial.set_user_attr(f"valid_{seed}", rec["valid"])
    trial.set_user_attr(f"epoch_{seed}", rec["selected_epoch"])
    return rec["valid"]


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


def trials_table(study, space: Mapping, metric: str = "rocauc", early_step: int = None) -> List[dict]:
    """Finished trials, best first: parameters, state, objective, epochs reported, wall time, and
    ``early``: the best value reported up to step ``early_step`` (default: the first rung of the
    halving pruner, which every finished trial reached), None for a trial that stopped before it."""
    import optuna

    early_step = FIRST_RUNG if early_step is None else early_step
    rows = []
    for t in study.get_trials(deepcopy=False):
        if t.state not in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED):
            continue
        complete = t.state == optuna.trial.TrialState.COMPLETE
        steps = t.intermediate_values
        value = t.value if complete else max(steps.values(), default=None)
        early = max((v for k, v in steps.items() if k <= early_step), default=None) if early_step in steps else None
        rows.append({"number": t.number, "state": t.state.name.lower(), **{k: t.params[k] for k in space},
                     "value": value, "early": early, "epochs": len(steps), "wall_s": t.user_attrs.get("wall_s")})
    return sorted(rows, key=lambda r: (r["state"] != "complete", -(r["value"] or 0.0)))
