"""Cache keys and cache readers shared by the data loaders (:mod:`.molecules`, :mod:`.tu`).

A processed data set is reused only while its key holds. The key is :func:`cache_key` of
everything the result depends on: the raw source's registered SHA-256, the loader's version
number, its options (and library versions where they matter). Readers never raise on a bad cache:
:func:`load_json_cache` and :func:`load_torch_cache` return ``None`` for a missing, unreadable,
truncated or malformed file, and the caller rebuilds. Writers are those of :mod:`hma_graph._atomic`
(``write_json_atomic``, ``torch_save_atomic``), so a reader never sees a half-written file.

    key = cache_key(source_sha256, name, PARSER_VERSION)     # sha256 hex of "sha:name:1"
    arrays = load_torch_cache(path, required=FIELDS, version=PARSER_VERSION)
    if arrays is None:
        arrays = parse(...)
        torch_save_atomic(arrays, path)
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Optional, Sequence

__all__ = ["cache_key", "load_json_cache", "load_torch_cache"]


def _part_text(part: Any) -> str:
    if isinstance(part, (str, int)) and not isinstance(part, bool):
        return str(part)
    return json.dumps(part, sort_keys=True)


def cache_key(*parts: Any) -> str:
    """SHA-256 hex digest of ``parts`` joined by ``":"``.

    A ``str`` or ``int`` part is written as ``str(part)``; any other part (dict, list, float,
    bool, None) as ``json.dumps(part, sort_keys=True)``, so dict order never changes a key.
    """
    if not parts:
        raise ValueError("cache_key needs at least one part")
    text = ":".join(_part_text(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_json_cache(path) -> Optional[dict]:
    """The JSON object in ``path``; ``None`` when the file is missing, unreadable, not JSON, or
    not a JSON object (a truncated or corrupt record counts as absent)."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return None
    return obj if isinstance(obj, dict) else None


def load_torch_cache(path, required: Sequence[str] = (), version: Optional[int] = None
                     ) -> Optional[dict]:
    """The dict saved by ``torch.save`` in ``path`` (loaded with ``weights_only=True``).

    ``None`` when the file is missing or unreadable, is not a dict, lacks a key of ``required``,
    or (with ``version`` given) has ``int(d["version"]) != version``.
    """
    path = Path(path)
    if not path.exists():
        return None
    import torch

    try:
        obj = torch.load(path, weights_only=True)
    except Exception:  # truncated / corrupt / foreign file: the caller parses again
        return None
    if not isinstance(obj, dict) or any(k not in obj for k in required):
        return None
    if version is not None:
        try:
            if int(obj["version"]) != version:
                return None
        except (KeyError, TypeError, ValueError, RuntimeError):
            return None
    return obj
