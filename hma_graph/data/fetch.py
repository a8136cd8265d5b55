"""Where data lives, and how a raw artifact gets there: data root, offline mirror, checksums.

Configuration (environment variables, read at call time):

* ``HMA_GRAPH_DATA``: the data root. Default: the ``datasets/`` folder of the source checkout when
  the package runs from one, else ``~/.cache/hma_graph``.
* ``HMA_GRAPH_MIRROR``: a folder laid out like the official downloads (``ogb/bace.zip``,
  ``moleculenet/BBBP.csv``, ``tu/NCI1.zip``, ...). When set, :func:`fetch` copies from it instead
  of downloading. Nothing reaches the network when the mirror holds the file.

Every raw artifact is listed in ``sources.csv`` (key, file name, official URL, SHA-256). A file is
used only after its checksum matches; a corrupt or truncated file is an error that names the path
and both checksums, never a silent wrong answer.

A source whose checksum could not be established when it was registered (empty ``sha256``:
REDDIT-MULTI-5K and -12K, whose official download was not reachable from our machines) is never
used on trust. Its first copy (download or mirror) is refused with
:class:`UnregisteredChecksumError`, which names the file, the SHA-256 of the bytes received and the
two ways to accept them: set ``HMA_GRAPH_ACCEPT_SHA256="<key>=<sha256>"`` (several pairs separated
by spaces or commas), or write the checksum into ``sources.csv``. From then on that checksum is
verified like a registered one (:func:`expected_sha256`). Writes go to a temporary file renamed into place
(:func:`hma_graph._atomic.atomic_path`) after the checksum is verified.
"""
from __future__ import annotations

import csv
import hashlib
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional

from .._atomic import atomic_path, check_writable

__all__ = ["Source", "SOURCES", "data_root", "mirror_root", "fetch", "sha256sum", "ChecksumError",
           "UnregisteredChecksumError", "expected_sha256", "ACCEPT_ENV"]

_HERE = Path(__file__).resolve().parent


ACCEPT_ENV = "HMA_GRAPH_ACCEPT_SHA256"


class ChecksumError(RuntimeError):
    """A file's SHA-256 differs from the registered one."""


class UnregisteredChecksumError(ChecksumError):
    """A source has no registered SHA-256 and none was accepted for it (module docstring)."""


@dataclass(frozen=True)
class Source:
    key: str  # path relative to a mirror root, e.g. "tu/NCI1.zip"
    file: str
    url: str
    sha256: str
    note: str = ""


def _load_sources() -> Dict[str, Source]:
    with open(_HERE / "sources.csv", newline="", encoding="utf-8") as f:
        return {row["key"]: Source(**row) for row in csv.DictReader(f)}


SOURCES: Dict[str, Source] = _load_sources()


def data_root() -> Path:
    """The data root (see module docstring); created if missing."""
    env = os.environ.get("HMA_GRAPH_DATA")
    if env:
        root = Path(env).expanduser()
    else:
        checkout = _HERE.parents[1]
        root = checkout / "datasets" if (checkout / "setup.py").exists() else Path.home() / ".cache" / "hma_graph"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OSError(e.errno, f"cannot create the data root {root} ({e.strerror or e}); set HMA_GRAPH_DATA "
                               "to a writable data root") from e
    return root


def mirror_root() -> Optional[Path]:
    env = os.environ.get("HMA_GRAPH_MIRROR")
    if not env:
        return None
    path = Path(env).expanduser()
    if not path.is_dir():
        raise FileNotFoundError(f"HMA_GRAPH_MIRROR={env!r} is not a directory")
    return path


def sha256sum(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def expected_sha256(key: str) -> Optional[str]:
    """The SHA-256 a copy of ``key`` must have: the registered one, else the one accepted for ``key``
    in ``HMA_GRAPH_ACCEPT_SHA256`` (``"<key>=<sha256>"`` pairs), else None (not usable yet)."""
    registered = SOURCES[key].sha256.strip().lower()
    if registered:
        return registered
    for item in os.environ.get(ACCEPT_ENV, "").replace(",", " ").split():
        k, _, digest = item.rpartition("=")
        if k == key and digest:
            return digest.lower()
    return None


def _unregistered(path: Path, src: Source, origin: Optional[str]) -> UnregisteredChecksumError:
    got, size = sha256sum(path), path.stat().st_size
    kept = ("The copy was not kept: run again after accepting it." if origin else
            f"{path} is left in place but not used until then.")
    return UnregisteredChecksumError(
        f"{origin or path}: no SHA-256 is registered for {src.key} (sources.csv: {src.note or 'no checksum'}), "
        f"so the file is not used on trust. These {size} bytes have SHA-256 {got}. If you trust them (e.g. the "
        f"checksum matches one published for {src.url}), accept them with {ACCEPT_ENV}={src.key}={got} or "
        f"write {got} into the sha256 column of {src.key} in {_HERE / 'sources.csv'}. {kept}")


def _verify(path: Path, src: Source, origin: Optional[str] = None) -> None:
    """ChecksumError unless ``path`` has the expected SHA-256 (:func:`expected_sha256`);
    UnregisteredChecksumError when there is none. ``origin`` names where the bytes came from (the
    mirror file or the URL) when ``path`` is only a temporary copy."""
    want = expected_sha256(src.key)
    if want is None:
        raise _unregistered(path, src, origin)
    got = sha256sum(path)
    if got != want:
        what = origin or str(path)
        fix = (f"Replace {origin} with a good copy, or unset HMA_GRAPH_MIRROR to download it."
               if origin and not origin.startswith("http") else
               "Fetch it again (the download was not kept)." if origin else "Delete it and fetch again.")
        how = "registered" if src.sha256 else f"accepted ({ACCEPT_ENV})"
        raise ChecksumError(f"{what}: SHA-256 {got} does not match the {how} {want} for {src.key} "
                            f"(corrupt or truncated file?). {fix}")


def _atomic_copy(copy_fn, dest: Path, src: Source, origin: str) -> None:
    """``copy_fn(tmp)`` writes a temporary file beside ``dest``; it replaces ``dest`` only once its
    checksum matches (otherwise ChecksumError naming ``origin``, and the temporary file is removed)."""
    with atomic_path(dest) as tmp:
        copy_fn(tmp)
        _verify(tmp, src, origin)


def fetch(key: str, dest_dir: Optional[Path] = None, *, verify: bool = True) -> Path:
    """Return a verified local copy of the raw artifact ``key`` (a row of ``sources.csv``).

    Looks in ``dest_dir`` (default ``data_root()/<folder of key>``) first, then the mirror, then
    downloads from the official URL. Raises KeyError for an unknown key, ChecksumError for a file
    whose checksum does not match.
    """
    if key not in SOURCES:
        raise KeyError(f"unknown data source {key!r}; known: {sorted(SOURCES)}")
    src = SOURCES[key]
    dest_dir = Path(dest_dir) if dest_dir is not None else data_root() / Path(key).parent
    dest = dest_dir / src.file
    if dest.exists():
        if verify:
            _verify(dest, src)
        return dest
    check_writable(dest_dir, "set HMA_GRAPH_DATA to a writable data root")
    mirror = mirror_root()
    if mirror is not None and (mirror / key).exists():
        _atomic_copy(lambda tmp: shutil.copyfile(mirror / key, tmp), dest, src, str(mirror / key))
        return dest

    def download(tmp: Path) -> None:
        try:
            with urllib.request.urlopen(src.url, timeout=60) as r, open(tmp, "wb") as f:
                shutil.copyfileobj(r, f)
        except OSError as e:
            where = f" (HMA_GRAPH_MIRROR={mirror} has no {key})" if mirror else " (HMA_GRAPH_MIRROR is not set)"
            raise RuntimeError(f"could not download {src.url}{where}: {e}") from e

    _atomic_copy(download, dest, src, src.url)
    return dest
