"""Resumable benchmark sweeps: runs named by their arguments, one structured record per run.

A run is a dict of arguments (``spec``), e.g. ``{"dataset": "ogbg-molbace", "model": "gin",
"variant": "hma", "seed": 0}``. Its name is the sorted ``key=value`` pairs joined by ``__``, and
its record is ``<out_dir>/<name>.json``, written atomically (temporary file + rename), so an
interrupted sweep leaves either a complete record or none. ``run_sweep`` skips every spec whose
record exists and is complete, so re-running the same command resumes where it stopped.

Aggregation is a pure function of the records: group by every spec key except ``seed``, take the
one value per seed (test at the best validation epoch, recorded by the run), then mean and sample
standard deviation over seeds (``hma_graph.metrics.summarize``).
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Sequence, Tuple

from tqdm import tqdm

from .metrics import summarize

__all__ = ["run_name", "record_path", "write_json_atomic", "load_record", "run_sweep", "load_records",
           "aggregate"]

_SAFE = re.compile(r"[^A-Za-z0-9_.+-]")


def run_name(spec: Mapping) -> str:
    """``key=value`` pairs sorted by key, joined by ``__``; unsafe characters become ``-``."""
    if not spec:
        raise ValueError("a run spec needs at least one argument")
    parts = []
    for k in sorted(spec):
        v = spec[k]
        if isinstance(v, float) and v.is_integer():
            v = int(v) if abs(v) < 1e15 else v
        parts.append(f"{_SAFE.sub('-', str(k))}={_SAFE.sub('-', str(v))}")
    return "__".join(parts)


def record_path(out_dir: Path, spec: Mapping) -> Path:
    return Path(out_dir) / f"{run_name(spec)}.json"


def write_json_atomic(path: Path, obj) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_record(path: Path):
    """The record at ``path`` if it is complete JSON with ``status == "done"``, else None."""
    try:
        with open(path) as f:
            rec = json.load(f)
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and rec.get("status") == "done" else None


def run_sweep(specs: Iterable[Mapping], run_fn: Callable[[dict], dict], out_dir: Path,
              progress: bool = True, desc: str = "sweep") -> List[dict]:
    """Run ``run_fn(spec) -> record`` for every spec without a complete record; return all records.

    The stored record is ``{"spec": spec, "name": ..., "status": "done", "finished": ..., **record}``.
    """
    specs = [dict(s) for s in specs]
    names = [run_name(s) for s in specs]
    if len(set(names)) != len(names):
        raise ValueError("duplicate run specs in the sweep")
    out = []
    todo = [s for s in specs if load_record(record_path(out_dir, s)) is None]
    bar = tqdm(total=len(specs), initial=len(specs) - len(todo), desc=desc, disable=not progress)
    for spec in specs:
        path = record_path(out_dir, spec)
        rec = load_record(path)
        if rec is None:
            bar.set_postfix_str(run_name(spec)[:60])
            result = run_fn(dict(spec))
            rec = {**result, "spec": spec, "name": run_name(spec), "status": "done",
                   "finished": time.strftime("%Y-%m-%dT%H:%M:%S")}
            write_json_atomic(path, rec)
            bar.update(1)
        out.append(rec)
    bar.close()
    return out


def load_records(out_dir: Path) -> List[dict]:
    return [r for p in sorted(Path(out_dir).glob("*.json")) if (r := load_record(p)) is not None]


def aggregate(records: Sequence[Mapping], value: str = "test", seed_key: str = "seed"
              ) -> Dict[Tuple, dict]:
    """Group records by their spec without ``seed_key``; per group: values per seed, mean, std, n.

    Keys of the result are tuples of sorted (key, value) pairs. A seed that appears twice in a
    group is an error (it would be counted twice).
    """
    groups: Dict[Tuple, Dict] = {}
    for r in records:
        spec = dict(r["spec"])
        seed = spec.pop(seed_key, None)
        key = tuple(sorted(spec.items()))
        g = groups.setdefault(key, {})
        if seed in g:
            raise ValueError(f"seed {seed} appears twice for {dict(key)}")
        g[seed] = float(r[value])
    out = {}
    for key, per_seed in groups.items():
        seeds = sorted(per_seed, key=lambda s: (s is None, s))
        vals = [per_seed[s] for s in seeds]
        mean, std = summarize(vals)
        out[key] = {"seeds": seeds, "values": vals, "mean": mean, "std": std, "n": len(vals)}
    return out
