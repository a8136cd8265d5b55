"""What every benchmark command line shares: sweep options, the table of a results folder, the run.

    ap = argparse.ArgumentParser(...); add_sweep_args(ap, default_threads=1)
    args = ap.parse_args(argv)
    run_benchmark("ood", "paper", specs, args, render=lambda recs, notes: ..., overrides=...)

A folder's table shows the records whose identity is the one the registry gives their spec today
under the profile and overrides of the command (:func:`table_records`); records of other
protocols are counted in a note, unusable files are named. ``run_benchmark`` resolves every spec,
runs the sweep (:func:`hma_graph.experiments.sweep.run_sweep`) and rewrites ``TABLE.md`` after
every finished run and at the end.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Callable, List, Mapping, Optional, Sequence, Tuple

from .._atomic import write_text_atomic
from .registry import config_hash, resolve
from .report import problems_note
from .store import RecordStore
from .sweep import run_sweep

__all__ = ["add_sweep_args", "table_records", "write_table", "run_benchmark", "plain"]


def plain(doc: str) -> str:
    """A docstring as a --help text: reST roles and literals become plain words."""
    doc = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", doc or "")
    return doc.replace("``", "")


def add_sweep_args(ap: argparse.ArgumentParser, default_threads: int = 1) -> None:
    g = ap.add_argument_group("execution")
    g.add_argument("--out", type=Path, help="records folder (default: under benchmarks/results/)")
    g.add_argument("--serial", action="store_true", help="run in this process, without Ray (debugging)")
    g.add_argument("--address", help="Ray cluster address HOST:PORT (default: RAY_ADDRESS, else a local Ray)")
    g.add_argument("--workers", type=int, help="CPUs of the local Ray instance (default: all)")
    g.add_argument("--nproc-per-node", type=int, default=1,
                   help="train every run data-parallel on N processes of this machine (torchrun; "
                        "DistributedDataParallel, gloo on CPU, nccl on GPUs); implies --serial")
    g.add_argument("--threads", type=int, default=default_threads,
                   help=f"torch threads per run, and CPUs per Ray task (default {default_threads})")
    g.add_argument("--redo-corrupt", action="store_true",
                   help="set unusable record files of this sweep aside (*.corrupt) and run them again")
    g.add_argument("--table-only", action="store_true", help="only rewrite TABLE.md from the records")
    g.add_argument("--no-progress", action="store_true", help="no progress bars")


def check_positive(ap: argparse.ArgumentParser, args, names: Sequence[str]) -> None:
    for k in names:
        v = getattr(args, k, None)
        if v is not None and v < 1:
            ap.error(f"--{k.replace('_', '-')} must be >= 1, got {v}")


def table_records(store: RecordStore, benchmark: str, profile: str, overrides: Optional[Mapping] = None
                  ) -> Tuple[List[dict], List[str]]:
    """(records of this protocol, notes naming unusable files and counting other protocols)."""
    records, problems = store.scan() if store.folder.exists() else ([], [])
    mine, other = [], 0
    for r in records:
        try:
            same = r["config"]["benchmark"] == benchmark and r["config"]["profile"] == profile and \
                config_hash(resolve(benchmark, profile, r["spec"], overrides)) == r["identity"]
        except (KeyError, ValueError):
            same = False
        if same:
            mine.append(r)
        else:
            other += 1
    return mine, problems_note(problems, other)


def write_table(store: RecordStore, benchmark: str, profile: str, render: Callable, overrides=None,
                after: Optional[Callable] = None) -> Optional[str]:
    """Rewrite ``TABLE.md`` (and run ``after(records)``, e.g. a plot) from this protocol's records."""
    records, notes = table_records(store, benchmark, profile, overrides)
    for n in notes:
        print(f"note: {n[2:]}", file=sys.stderr)
    if not records:
        return None
    text = render(records, notes)
    write_text_atomic(store.folder / "TABLE.md", text)
    if after is not None:
        after(records)
    return text


def _launch(args, script: str, argv: Sequence[str]) -> None:
    """Run this command again under torchrun on ``--nproc-per-node`` processes (and wait)."""
    import subprocess

    rest = [a for i, a in enumerate(argv) if not (a.startswith("--nproc-per-node")
                                                  or (i and argv[i - 1] == "--nproc-per-node"))]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={args.nproc_per_node}",
           script, *rest, "--serial"]
    print("launching:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def _init_distributed() -> int:
    """Join the process group torchrun describes in the environment; this process's rank."""
    import os

    import torch
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank() if dist.is_initialized() else 0


def run_benchmark(benchmark: str, profile: str, specs: Sequence[Mapping], args, render: Callable,
                  overrides: Optional[Mapping] = None, options: Optional[Mapping] = None,
                  after: Optional[Callable] = None, script: Optional[str] = None,
                  argv: Optional[Sequence[str]] = None) -> Optional[str]:
    """Resolve, sweep (unless ``--table-only``), rewrite TABLE.md; returns the table text.

    With ``--nproc-per-node N > 1`` the command re-runs itself under torchrun (``script`` and
    ``argv``); there every rank runs every spec together and rank 0 writes records and tables."""
    import os

    store = RecordStore(args.out)
    nproc = getattr(args, "nproc_per_node", 1) or 1
    if not args.table_only and nproc > 1 and "WORLD_SIZE" not in os.environ:
        _launch(args, script or sys.argv[0], list(argv if argv is not None else sys.argv[1:]))
        args.table_only = True
    elif "WORLD_SIZE" in os.environ and _init_distributed() != 0:
        run_sweep([(s, resolve(benchmark, profile, s, overrides)) for s in specs], store, serial=True,
                  threads=args.threads, options=options, progress=False)
        return None
    if not args.table_only:
        jobs = [(s, resolve(benchmark, profile, s, overrides)) for s in specs]
        run_sweep(jobs, store, serial=args.serial, address=args.address, workers=args.workers,
                  threads=args.threads, options=options, redo_corrupt=args.redo_corrupt,
                  progress=not args.no_progress, desc=f"{benchmark} {profile}",
                  on_record=lambda rec: write_table(store, benchmark, profile, render, overrides))
    text = write_table(store, benchmark, profile, render, overrides, after)
    if text is None:
        raise SystemExit(f"no finished records of this protocol in {store.folder}")
    print("\n" + text)
    print(f"wrote {store.folder / 'TABLE.md'}")
    return text
