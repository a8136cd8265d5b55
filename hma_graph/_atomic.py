"""The one atomic writer: every file the library writes goes through :func:`atomic_path`.

A file is written to a temporary name beside its target (``.<name>.<random>.part``), flushed, made
readable by everyone the umask allows (``0o666 & ~umask``: a ``tempfile`` is created ``0o600``, so
records written on one account stay readable by collaborators and by a cluster's other users), and
renamed over the target. A reader, or a process killed mid-write, sees the old complete file or the
new one, never a part. A temporary file left by a killed writer matches :data:`TEMP_GLOB`;
:func:`remove_orphans` deletes such files once they are older than a grace period.

    write_json_atomic(path, {"a": 1})
    with atomic_path(path) as tmp:       # any writer that takes a path (downloads, torch.save)
        torch.save(obj, tmp)
"""
from __future__ import annotations

import json
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List

__all__ = ["atomic_path", "write_bytes_atomic", "write_text_atomic", "write_json_atomic",
           "torch_save_atomic", "remove_orphans", "check_writable", "TEMP_GLOB"]

TEMP_GLOB = ".*.part"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on normal exit rename it over ``path``.

    On an exception the temporary file is removed and ``path`` is left as it was. Raises an
    ``OSError`` naming ``path`` when its folder cannot be created or written.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as e:
        raise OSError(e.errno, f"cannot write {path}: {e.strerror or e}") from e
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_bytes_atomic(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())


def write_text_atomic(path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path, obj) -> None:
    """``obj`` as indented JSON with sorted keys and a final newline."""
    write_text_atomic(path, json.dumps(obj, indent=1, sort_keys=True) + "\n")


def torch_save_atomic(obj, path) -> None:
    import torch

    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def remove_orphans(folder, older_than_s: float = 3600.0) -> List[Path]:
    """Delete temporary files of killed writers in ``folder`` (not recursive) older than
    ``older_than_s`` seconds (younger ones may belong to a writer still at work); return them."""
    removed = []
    now = time.time()
    for p in Path(folder).glob(TEMP_GLOB):
        try:
            if now - p.stat().st_mtime >= older_than_s:
                p.unlink()
                removed.append(p)
        except FileNotFoundError:
            continue
    return removed


def check_writable(folder, hint: str) -> None:
    """Create ``folder`` and a probe file in it; an ``OSError`` naming the folder and ``hint`` (how
    to choose another one) if that is impossible. Called before long work, not after it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe.", suffix=".part"):
            pass
    except OSError as e:
        raise OSError(e.errno, f"cannot write to {folder} ({e.strerror or e}); {hint}") from e
