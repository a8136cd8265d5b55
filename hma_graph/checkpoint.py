"""Training-state checkpoints that cannot load silently wrong.

File format: one line ``hma-checkpoint sha256=<hex>`` followed by the bytes of ``torch.save(state)``.
:func:`save` writes it atomically (:mod:`hma_graph._atomic`); :func:`load` verifies the SHA-256 of
the payload before ``torch.load(..., weights_only=True)``, so a truncated file or a flipped byte is
refused with the path and the fix, never loaded, and then checks that the state belongs to the run
asking for it (its ``signature``). :func:`rng_state` / :func:`set_rng_state` capture and restore
torch's CPU generator and, where CUDA is present, every CUDA generator, so a resumed GPU run
draws the same dropout masks as an uninterrupted one.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Optional

import torch

from ._atomic import write_bytes_atomic

__all__ = ["save", "load", "rng_state", "set_rng_state"]

_MAGIC = b"hma-checkpoint sha256="


def save(state: dict, path) -> None:
    buf = io.BytesIO()
    torch.save(state, buf)
    payload = buf.getvalue()
    write_bytes_atomic(path, _MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def load(path, signature: Optional[dict] = None) -> dict:
    """The state saved at ``path``; ``ValueError`` naming the path if it is corrupt or, with
    ``signature``, belongs to another run (its saved signature differs)."""
    path = Path(path)
    data = path.read_bytes()
    head, _, payload = data.partition(b"\n")
    if not head.startswith(_MAGIC) or hashlib.sha256(payload).hexdigest().encode() != head[len(_MAGIC):]:
        raise ValueError(f"the checkpoint {path} is corrupt or not a checkpoint of this library (checksum "
                         "mismatch: truncated or altered); delete it to start the run afresh")
    try:
        state = torch.load(io.BytesIO(payload), weights_only=True)
    except Exception as e:  # a payload of another format
        raise ValueError(f"cannot read the checkpoint {path} ({type(e).__name__}: {e}); delete it to "
                         "start the run afresh") from e
    saved = state.get("signature") if isinstance(state, dict) else None
    if signature is not None and saved != signature:
        diff = sorted(k for k in set(signature) | set(saved or {}) if (saved or {}).get(k) != signature.get(k))
        raise ValueError(f"the checkpoint {path} belongs to a different run (differs in: "
                         f"{', '.join(diff) or 'format'}); delete it or use another path")
    return state


def rng_state() -> dict:
    return {"cpu": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["cpu"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
