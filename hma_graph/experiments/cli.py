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


def run_benchmark(benchmark: str, profile: str, specs: Sequence[Mapping], args, render: Callable,
                  overrides: Optional[Mapping] = None, options: Optional[Mapping] = None,
                  after: Optional[Callable] = None) -> Optional[str]:
    """Resolve, sweep (unless ``--table-only``), rewrite TABLE.md; returns the table text."""
    store = RecordStore(args.out)
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
