"""Facts about the machine a run ran on, and the process's memory, for records and benchmarks."""
from __future__ import annotations

import os
import platform
import socket
from typing import List

__all__ = ["machine", "cpu_model", "rss_mb", "reset_peak_rss"]


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else ``platform.processor()``/``machine()``."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict:
    """torch version, torch threads, CPU count, Python, processor, CPU model, the vector instruction
    set torch's CPU kernels dispatch to (``cpu_capability``, e.g. AVX2 or AVX512: results of the same
    code and seed can differ in the last bits, and after training visibly, between two values),
    host name and CUDA device."""
    import torch

    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "cpus": os.cpu_count(),
           "python": platform.python_version(), "processor": platform.processor() or platform.machine(),
           "cpu_model": cpu_model(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
           "host": socket.gethostname()}
    if hasattr(os, "nice"):
        out["nice"] = os.nice(0)  # the process's scheduling niceness (a Ray worker's, for Ray tasks)
    if torch.cuda.is_available():
        out["cuda"] = torch.cuda.get_device_name()
    return out


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
