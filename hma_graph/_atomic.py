"""Atomic ``torch.save``: write a temporary file beside the target, then rename it over the target,
so a reader (or a process killed mid-write) sees either the old complete file or the new one."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

__all__ = ["torch_save_atomic"]


def torch_save_atomic(obj, path) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
