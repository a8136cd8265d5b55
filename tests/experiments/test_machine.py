"""hma_graph.experiments.machine: the CPU facts a record carries."""
import builtins
import platform

import torch

from hma_graph.experiments import machine as m


def test_cpu_model_and_capability_in_the_record():
    info = m.machine()
    assert isinstance(info["cpu_capability"], str) and info["cpu_capability"]  # e.g. "AVX2", "AVX512"
    assert isinstance(info["cpu_model"], str) and info["cpu_model"]
    try:
        names = [l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.lower().startswith("model name")]
    except OSError:
        names = []
    if names:  # Linux: the first "model name" line, read here independently
        assert info["cpu_model"] == names[0]
    assert info["threads"] == torch.get_num_threads()


def test_cpu_model_without_proc_falls_back(monkeypatch):
    real_open = builtins.open

    def no_proc(path, *a, **k):
        if str(path) == "/proc/cpuinfo":
            raise OSError("no /proc here")
        return real_open(path, *a, **k)

    monkeypatch.setattr(builtins, "open", no_proc)
    assert m.cpu_model() == (platform.processor() or platform.machine())
