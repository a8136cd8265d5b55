"""A folder of run records that cannot silently mix, lose or duplicate runs.

A record is one JSON file, ``<folder>/<name>.<identity>.json``: ``name`` is the spec's sorted
``key=value`` pairs joined by ``__`` (:func:`run_name`) and ``identity`` the hash of the run's
resolved config (:func:`hma_graph.experiments.registry.config_hash`). A record of the same spec
under another protocol therefore has another file and is never counted as done for this one.

* Writing is atomic (:mod:`hma_graph._atomic`): a file holds a complete record or does not exist.
* Reading checks every file: JSON, a dict with ``status == "done"``, ``spec``, ``config``, and an
  ``identity`` that equals both the hash of its ``config`` and the file name's. A file that fails
  is reported by path with what is wrong (:class:`CorruptRecordError`, :meth:`RecordStore.scan`);
  it is never skipped silently and never re-run unless asked (``redo_corrupt``).
* Claims: before a worker trains a spec it takes ``<folder>/.claims/<file>.claim`` under a
  folder-wide ``fcntl.flock``; a live claim makes every other worker skip the spec. The claim holds
  the worker's host and pid and is touched every ``heartbeat_s`` seconds; a claim whose process is
  gone (same host) or that was not touched for ``stale_s`` seconds (a crashed worker elsewhere) is
  taken over. Claims need a file system with working ``flock`` (local disks; NFSv4 emulates it
  with POSIX locks).
* Temporary files of killed writers older than an hour are removed when a sweep opens the folder.
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import List, Mapping, Optional, Tuple

from .._atomic import check_writable, remove_orphans, write_json_atomic
from .registry import config_hash

__all__ = ["RecordStore", "CorruptRecordError", "run_name", "Claim"]

_SAFE = re.compile(r"[^A-Za-z0-9_.+-]")


def run_name(spec: Mapping) -> str:
    """``key=value`` pairs sorted by key, joined by ``__``; unsafe characters become ``-``."""
    if not spec:
        raise ValueError("a run spec needs at least one argument")
    parts = []
    for k in sorted(spec):
        v = spec[k]
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        parts.append(f"{_SAFE.sub('-', str(k))}={_SAFE.sub('-', str(v))}")
    return "__".join(parts)


class CorruptRecordError(RuntimeError):
    """Record files that cannot be used; ``problems`` is a list of ``(path, what is wrong)``."""

    def __init__(self, problems: List[Tuple[Path, str]], hint: str = ""):
        self.problems = list(problems)
        lines = "\n".join(f"  {p}: {why}" for p, why in self.problems)
        super().__init__(f"{len(self.problems)} unusable record file(s):\n{lines}" + (f"\n{hint}" if hint else ""))


def check_record(path: Path, rec) -> Optional[str]:
    """What is wrong with ``rec`` read from ``path``, or None."""
    if not isinstance(rec, dict):
        return f"not a record (a JSON {type(rec).__name__})"
    for key in ("status", "spec", "config", "identity"):
        if key not in rec:
            return f"no {key!r} field (a record of another format; migrate it or remove it)"
    if rec["status"] != "done":
        return f"status is {rec['status']!r}, not 'done'"
    if config_hash(rec["config"]) != rec["identity"]:
        return "identity does not match the hash of its config (edited by hand?)"
    expected = f"{run_name(rec['spec'])}.{rec['identity']}.json"
    if path.name != expected:
        return f"file name does not match its spec and identity (expected {expected})"
    return None


class Claim:
    """A worker's hold on one spec; touched by a daemon thread until :meth:`release`."""

    def __init__(self, path: Path, token: str, heartbeat_s: float):
        self.path, self.token = path, token
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, args=(heartbeat_s,), daemon=True)
        self._thread.start()

    def _beat(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                os.utime(self.path)
            except OSError:
                return

    def release(self) -> None:
        self._stop.set()
        try:
            if json.loads(self.path.read_text()).get("token") == self.token:
                self.path.unlink()
        except (OSError, ValueError):
            pass


class RecordStore:
    """The records of one results folder (module docstring)."""

    def __init__(self, folder, heartbeat_s: float = 30.0, stale_s: float = 300.0):
        self.folder = Path(folder)
        self.heartbeat_s, self.stale_s = heartbeat_s, stale_s

    # ---------------------------------------------------------------- paths
    def path(self, spec: Mapping, config: Mapping) -> Path:
        return self.folder / f"{run_name(spec)}.{config_hash(config)}.json"

    def partial(self, spec: Mapping, config: Mapping) -> Path:
        """Where the run's training state lives while it runs (``fit(checkpoint=)``)."""
        return self.folder / ".partial" / f"{run_name(spec)}.{config_hash(config)}.pt"

    # ---------------------------------------------------------------- reading
    def read(self, path: Path) -> dict:
        """The record at ``path``; :class:`CorruptRecordError` naming the path if unusable."""
        try:
            rec = json.loads(Path(path).read_text())
        except (OSError, UnicodeDecodeError, ValueError) as e:
            raise CorruptRecordError([(Path(path), f"unreadable ({type(e).__name__}: {e})")]) from None
        why = check_record(Path(path), rec)
        if why:
            raise CorruptRecordError([(Path(path), why)])
        return rec

    def get(self, spec: Mapping, config: Mapping) -> Optional[dict]:
        """The finished record of this spec and config, None if there is none (corrupt: raises)."""
        p = self.path(spec, config)
        return self.read(p) if p.exists() else None

    def scan(self) -> Tuple[List[dict], List[Tuple[Path, str]]]:
        """(every usable record, every unusable ``*.json`` with what is wrong), sorted by path."""
        records, problems = [], []
        for p in sorted(self.folder.glob("*.json")):
            try:
                records.append(self.read(p))
            except CorruptRecordError as e:
                problems += e.problems
        return records, problems

    # ---------------------------------------------------------------- writing
    def write(self, spec: Mapping, config: Mapping, result: Mapping) -> dict:
        rec = {**result, "spec": dict(spec), "config": dict(config), "identity": config_hash(config),
               "name": run_name(spec), "status": "done",
               "finished": result.get("finished") or time.strftime("%Y-%m-%dT%H:%M:%S")}
        write_json_atomic(self.path(spec, config), rec)
        return rec

    def check_writable(self) -> None:
        """An ``OSError`` naming the folder if records cannot be written there (checked by a sweep
        before its first run, not after hours of training)."""
        check_writable(self.folder, "choose a writable results folder (--out)")

    def set_aside(self, path: Path) -> Path:
        """Rename an unusable record to ``<path>.corrupt`` (kept, no longer read); return it."""
        dest = Path(f"{path}.corrupt")
        os.replace(path, dest)
        return dest

    def clean(self, older_than_s: float = 3600.0) -> List[Path]:
        """Remove temporary files of killed writers (records and checkpoints)."""
        out = remove_orphans(self.folder, older_than_s) if self.folder.exists() else []
        partial = self.folder / ".partial"
        return out + (remove_orphans(partial, older_than_s) if partial.exists() else [])

    # ---------------------------------------------------------------- claims
    @contextmanager
    def _locked(self):
        d = self.folder / ".claims"
        d.mkdir(parents=True, exist_ok=True)
        with open(d / ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield d
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _live(self, claim: Path) -> bool:
        try:
            info = json.loads(claim.read_text())
            age = time.time() - claim.stat().st_mtime
        except (OSError, ValueError):
            return False
        if age > self.stale_s:
            return False
        if info.get("host") == socket.gethostname():
            try:
                os.kill(int(info["pid"]), 0)
            except ProcessLookupError:
                return False
            except (PermissionError, KeyError, ValueError, TypeError):
                pass
        return True

    def claim(self, spec: Mapping, config: Mapping) -> Optional[Claim]:
        """A :class:`Claim` on this run, or None when it is finished or held by a live worker."""
        target = self.path(spec, config)
        with self._locked() as d:
            if target.exists():
                return None
            path = d / f"{target.name}.claim"
            if path.exists() and self._live(path):
                return None
            token = uuid.uuid4().hex
            write_json_atomic(path, {"host": socket.gethostname(), "pid": os.getpid(), "token": token,
                                     "since": time.strftime("%Y-%m-%dT%H:%M:%S")})
        return Claim(path, token, self.heartbeat_s)
