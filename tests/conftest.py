"""Import hma_graph first: its compatibility shim must run before anything imports dgl or ogb."""
import os

import hma_graph  # noqa: F401  (side effect: DGL compatibility shim)
import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture
def mirror(monkeypatch, tmp_path):
    """The offline data mirror named by HMA_GRAPH_MIRROR, with a fresh data root per test.

    Skips when HMA_GRAPH_MIRROR is unset (CI sets it in .ci/run; set it to your copy of the mirror
    locally).
    """
    path = os.environ.get("HMA_GRAPH_MIRROR")
    if not path:
        pytest.skip("HMA_GRAPH_MIRROR is not set (the offline data mirror)")
    monkeypatch.setenv("HMA_GRAPH_DATA", str(tmp_path / "data"))
    return path


DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Every available device: the CPU always, CUDA when present (torch-only parts; DGL's PyPI
    wheel is CPU-only)."""
    return torch.device(request.param)
