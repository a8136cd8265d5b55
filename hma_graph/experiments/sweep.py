"""Sweeps: run many resolved configs into a :class:`~.store.RecordStore`, serially or on Ray.

    jobs = [(spec, registry.resolve("ood", "paper", spec)) for spec in specs]
    result = run_sweep(jobs, RecordStore(folder))                     # Ray on this machine
    result = run_sweep(jobs, store, address="HOST:PORT")              # an existing Ray cluster
    result = run_sweep(jobs, store, serial=True)                      # no Ray (debugging)

Each job is executed by :func:`execute`: claim the spec in the store (another live worker holding
it, or a finished record, means skip), set the torch threads, train (:func:`.run.run_spec`, which
resumes from the store's ``.partial/`` checkpoint of a killed attempt), write the record
atomically, release the claim. On Ray every job is one task with ``num_cpus = threads`` (one by
default: on our 2-core machines two one-thread runs side by side beat one two-thread run), the
embedded default is ``ray.init()`` on this machine with ``workers`` CPUs, and ``address`` (or the
``RAY_ADDRESS`` variable) connects to a running cluster instead; there every task writes its
record into the same folder, which must be on a file system all nodes share. The environment
variables ``HMA_GRAPH_DATA``/``HMA_GRAPH_MIRROR`` are passed on to the tasks.

Before anything runs, finished records are skipped and unusable record files of these jobs stop
the sweep with their paths and what is wrong (``redo_corrupt=True`` sets them aside as
``*.corrupt`` and runs the jobs again). ``on_record(record)`` is called in this process after every
finished run (the benchmarks rewrite their TABLE.md there). Ray itself is imported only here: the
library's training API never needs it.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from tqdm import tqdm

from .store import CorruptRecordError, RecordStore, run_name

__all__ = ["run_sweep", "execute", "SweepResult"]

Job = Tuple[Mapping, Mapping]  # (spec, resolved config)
ENV_KEYS = ("HMA_GRAPH_DATA", "HMA_GRAPH_MIRROR")


@dataclass
class SweepResult:
    done: List[dict] = field(default_factory=list)       # records finished by this sweep
    existing: int = 0                                      # jobs finished before it started
    skipped: List[str] = field(default_factory=list)      # names held by another live worker
    failed: List[Tuple[str, str]] = field(default_factory=list)  # (name, error)


def _default_run(config: Mapping, checkpoint, options: Mapping) -> dict:
    from .run import run_spec

    return run_spec(config, checkpoint=checkpoint, **options)


def execute(spec: Mapping, config: Mapping, folder: str, threads: int = 1, options: Optional[Mapping] = None,
            run_fn: Optional[Callable] = None) -> Dict:
    """Claim, run, write, release one job; ``{"status": "done" | "skipped", "record": ...}``."""
    import torch

    from ..nn.distributed import world_size

    store = RecordStore(folder)
    ws = world_size()
    rank = torch.distributed.get_rank() if ws > 1 else 0
    claim = store.claim(spec, config) if rank == 0 else None
    if ws > 1:  # one run on all ranks together: rank 0 claims for all of them and writes the record
        decision = [claim is not None]
        torch.distributed.broadcast_object_list(decision, src=0)
        claimed = decision[0]
    else:
        claimed = claim is not None
    if not claimed:
        return {"status": "skipped", "name": run_name(spec)}
    try:
        torch.set_num_threads(int(threads))
        ckpt = store.partial(spec, config) if rank == 0 and ws == 1 else None
        result = (run_fn or _default_run)(config, ckpt, dict(options or {}))
        if rank != 0:
            return {"status": "peer", "name": run_name(spec)}
        return {"status": "done", "record": store.write(spec, config, result)}
    finally:
        if claim is not None:
            claim.release()


def _pending(jobs: Sequence[Job], store: RecordStore, redo_corrupt: bool) -> Tuple[List[Job], int]:
    names = [store.path(s, c).name for s, c in jobs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate jobs in the sweep (same spec and config twice)")
    todo, existing, problems = [], 0, []
    for spec, cfg in jobs:
        try:
            if store.get(spec, cfg) is not None:
                existing += 1
                continue
        except CorruptRecordError as e:
            problems += e.problems
        todo.append((spec, cfg))
    if problems and not redo_corrupt:
        raise CorruptRecordError(problems, "Inspect or remove them, or pass --redo-corrupt to set them aside "
                                           "(renamed *.corrupt) and run these jobs again.")
    for path, _ in problems:
        store.set_aside(path)
    return todo, existing


def run_sweep(jobs: Sequence[Job], store: RecordStore, *, serial: bool = False, address: Optional[str] = None,
              workers: Optional[int] = None, threads: int = 1, options: Optional[Mapping] = None,
              on_record: Optional[Callable[[dict], None]] = None, redo_corrupt: bool = False,
              progress: bool = True, run_fn: Optional[Callable] = None, desc: str = "sweep") -> SweepResult:
    """Run every job without a finished record (module docstring); returns what happened."""
    store.check_writable()
    store.clean()
    todo, existing = _pending(jobs, store, redo_corrupt)
    result = SweepResult(existing=existing)
    bar = tqdm(total=len(jobs), initial=existing, desc=desc, disable=not progress, unit="run",
               dynamic_ncols=True)

    def finished(out: Dict) -> None:
        if out["status"] == "done":
            result.done.append(out["record"])
            bar.set_postfix_str(out["record"]["name"][:50])
            if on_record is not None:
                on_record(out["record"])
        elif out["status"] == "skipped":
            result.skipped.append(out["name"])
        bar.update(1)

    t0 = time.perf_counter()
    if serial or not todo:
        for spec, cfg in todo:
            finished(execute(spec, cfg, str(store.folder), threads, options, run_fn))
    else:
        _run_on_ray(todo, store, address, workers, threads, options, run_fn, finished, result)
    bar.close()
    if progress:
        print(f"{desc}: {len(result.done)} run(s) finished in {time.perf_counter() - t0:.0f} s, "
              f"{existing} already done, {len(result.skipped)} held by other workers, "
              f"{len(result.failed)} failed", flush=True)
    if result.failed:
        raise RuntimeError("failed runs:\n" + "\n".join(f"  {n}: {e}" for n, e in result.failed))
    return result


def _run_on_ray(todo, store, address, workers, threads, options, run_fn, finished, result) -> None:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        env = {k: os.environ[k] for k in ENV_KEYS if k in os.environ}
        address = address or os.environ.get("RAY_ADDRESS")
        kwargs = {"address": address} if address else {"num_cpus": workers or os.cpu_count()}
        # Ray starts task workers at niceness 15; on a shared machine they then get almost no CPU
        # next to any other process (measured: 3.6% of a core beside two busy jobs). The runs are
        # the work itself, so a local Ray started here runs them at the driver's priority.
        os.environ.setdefault("RAY_worker_niceness", "0")
        ray.init(**kwargs, include_dashboard=False, log_to_driver=False, configure_logging=False,
                 runtime_env={"env_vars": env} if env else None)
    try:
        task = ray.remote(num_cpus=threads, max_retries=0)(execute)
        pending = {task.remote(dict(s), dict(c), str(store.folder.resolve()), threads, options, run_fn):
                   run_name(s) for s, c in todo}
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            name = pending.pop(ready[0])
            try:
                finished(ray.get(ready[0]))
            except Exception as e:  # noqa: BLE001  (a failed run is reported, the others go on)
                result.failed.append((name, f"{type(e).__name__}: {e}"))
    finally:
        if started_here:
            ray.shutdown()
