"""Shared helpers for benchmark scripts: atomic JSON writes, markdown tables, machine facts."""
from __future__ import annotations

import os
import platform
import tempfile
from pathlib import Path
from typing import Iterable, List, Sequence

import torch

from hma_graph.sweep import write_json_atomic  # noqa: F401  (re-exported)

RESULTS = Path(__file__).resolve().parent / "results"


def write_text_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(lines)


def machine() -> dict:
    return {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "processor": platform.processor() or platform.machine()}


def rss_mb() -> List[float]:
    """(current RSS, peak RSS) of this process in MiB, from /proc (Linux)."""
    vals = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                vals[line.split(":")[0]] = int(line.split()[1]) / 1024
    return [vals["VmRSS"], vals["VmHWM"]]


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux >= 4.0: write 5 to /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
