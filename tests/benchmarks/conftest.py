"""Benchmark sweeps set torch's thread count (one per run); give every other test its own back."""
import pytest
import torch


@pytest.fixture(autouse=True)
def _restore_threads():
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)
