"""Per-module learning-rate scaling by reparametrisation: ``w = s * theta``.

Adam's step is invariant to the scale of the gradient: for a parameter stored as ``theta`` and used
as ``w = s * theta``, the gradient is ``dL/dtheta = s * dL/dw`` and Adam moves ``theta`` by about
``lr`` per step whatever ``s`` is, so ``w`` moves by about ``s * lr``. Registering this
reparametrisation on every parameter of a module therefore gives that module an effective Adam
learning rate ``s * lr`` inside a plain ``torch.optim.Adam(model.parameters(), lr)``: no parameter
groups needed. Exact apart from Adam's ``eps`` (compared with ``s * |g|`` instead of ``|g|``).

With other optimisers the effect differs: plain SGD moves ``w`` by ``s**2 * lr * dL/dw``; AdamW's
decoupled weight decay shrinks ``theta`` and therefore ``w`` by the same fraction as without the
scaling; Adam's coupled L2 term (``weight_decay``) acts on ``theta = w / s``.

Built on :func:`torch.nn.utils.parametrize.register_parametrization`: ``module.weight`` still
returns the effective tensor ``w``; the stored tensor is ``module.parametrizations.weight.original``
(``theta``), which is what ``parameters()``, ``state_dict()`` and optimisers see.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils import parametrize

__all__ = ["Scale", "scale_learning_rate", "DEFAULT_LR_SCALE"]

# the library default of ``HMA(lr_scale=)`` / ``hma_graph.apply(lr_scale=)``: the HMA layer learns at
# 0.1 x the optimiser's lr (README, "Add HMA"; measured in benchmarks/results/table3/paper)
DEFAULT_LR_SCALE = 0.1


class Scale(nn.Module):
    """``forward(theta) = s * theta``; ``right_inverse(w) = w / s`` (so assigning ``w`` stores ``w / s``)."""

    def __init__(self, scale: float):
        super().__init__()
        self.scale = float(scale)

    def forward(self, theta: torch.Tensor) -> torch.Tensor:
        return theta * self.scale

    def right_inverse(self, w: torch.Tensor) -> torch.Tensor:
        return w / self.scale

    def extra_repr(self) -> str:
        return f"scale={self.scale:g}"


def scale_learning_rate(module: nn.Module, scale: float) -> nn.Module:
    """Reparametrise every parameter of ``module`` as ``w = scale * theta`` (see the module docstring).

    ``scale == 1`` changes nothing. Effective values are unchanged by the call (``theta`` starts at
    ``w / scale``). Returns ``module``.
    """
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"lr_scale must be a finite number > 0, got {scale!r}")
    if scale == 1:
        return module
    targets = [(m, name) for m in module.modules() for name, p in list(m.named_parameters(recurse=False))
               if p is not None and not parametrize.is_parametrized(m, name)]
    for m, name in targets:
        parametrize.register_parametrization(m, name, Scale(scale))
    return module
