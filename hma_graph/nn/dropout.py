"""Inverted dropout drawn with ``torch.rand``: same distribution as ``torch.nn.Dropout``, faster on CPU.

    y = x * m / (1 - p),   m_ij ~ Bernoulli(1 - p) i.i.d.,   y = x in eval mode or when p = 0.

On CPU with torch 2.13, ``F.dropout`` is several times slower than drawing the mask with
``torch.rand`` and multiplying it in (pytorch issue 138199; measured 3.9 ms vs 1.4 ms forward +
backward for an 800 x 300 tensor on our 2-core machines). On CUDA ``F.dropout`` is the fused
kernel, so it is used there. Shapes: any; the mask has the shape of ``x``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["dropout", "Dropout"]


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0.0:
        return x
    if x.is_cuda:
        return F.dropout(x, p, True)
    keep = (torch.rand_like(x) >= p).to(x.dtype).mul_(1.0 / (1.0 - p))
    return x * keep


class Dropout(nn.Module):
    """Drop-in replacement for ``torch.nn.Dropout`` (see module docstring)."""

    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = float(p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
