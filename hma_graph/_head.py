"""Finding a DGL graph classifier's head, for :func:`hma_graph.apply`.

The head is the module that maps the pooled graph embedding h (B, d_f) to logits: an ``nn.Linear``
or an MLP (``nn.Sequential`` of Linear / norm / activation / dropout starting with a Linear or a
dropout). With a dgl.nn readout module (``READOUT_MODULES``) it is the first head-like module
registered after the last readout (modules inside the readout, e.g. a gate network, are skipped);
with a readout function (``dgl.mean_nodes`` / ``sum_nodes`` / ``max_nodes`` / ``readout_nodes`` called
in ``forward``) it is the last top-level head-like module. :class:`HeadTap` replaces it and hands
its input back by raising :class:`_PooledReached`.
"""
from __future__ import annotations

import inspect
import re
from typing import List, Optional, Union

import torch
from torch import nn

from . import _compat

_compat.install()
from dgl.nn import (AvgPooling, GlobalAttentionPooling, MaxPooling, Set2Set,  # noqa: E402
                    SumPooling, WeightAndSum)

from .nn.dropout import Dropout  # noqa: E402

__all__ = ["READOUT_MODULES", "HeadTap", "HMAApplyError"]

READOUT_MODULES = (SumPooling, AvgPooling, MaxPooling, GlobalAttentionPooling, Set2Set, WeightAndSum)
_READOUT_FUNCTIONS = re.compile(r"\b(mean_nodes|sum_nodes|max_nodes|readout_nodes)\s*\(")
_MLP_PARTS = (nn.Linear, nn.BatchNorm1d, nn.LayerNorm, nn.ReLU, nn.GELU, nn.ELU, nn.LeakyReLU,
              nn.PReLU, nn.Tanh, nn.Sigmoid, nn.SiLU, nn.Dropout, Dropout, nn.Identity)


class HMAApplyError(ValueError):
    """The model's readout or head could not be found or used; the message says what to pass."""


class _PooledReached(Exception):
    def __init__(self, pooled: torch.Tensor):
        super().__init__("pooled embedding reached the head tap")
        self.pooled = pooled


class HeadTap(nn.Module):
    """Stands in for the user's head: stops the backbone's forward and hands back the head's input."""

    def forward(self, x, *args, **kwargs):
        raise _PooledReached(x)


def _linears(module: nn.Module) -> List[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)]


def _is_head_like(module: nn.Module) -> bool:
    if isinstance(module, nn.Linear):
        return True
    if isinstance(module, nn.Sequential) and len(module) > 0:
        leaves = [m for m in module.modules() if not isinstance(m, nn.Sequential)]
        return (all(isinstance(m, _MLP_PARTS) for m in leaves) and bool(_linears(module))
                and isinstance(module[0], (nn.Linear, Dropout, nn.Dropout)))
    return False


def _resolve(model: nn.Module, spec: Union[str, nn.Module], what: str) -> str:
    if isinstance(spec, str):
        try:
            model.get_submodule(spec)
        except AttributeError:
            names = [n for n, _ in model.named_modules() if n]
            raise HMAApplyError(f"{what}={spec!r} is not a submodule of {type(model).__name__}; "
                                f"its submodules are: {names}") from None
        return spec
    for name, m in model.named_modules():
        if m is spec and name:
            return name
    raise HMAApplyError(f"the {what} module passed is not a submodule of {type(model).__name__}")


def _find_head(model: nn.Module, readout: Optional[Union[str, nn.Module]]) -> str:
    named = [(n, m) for n, m in model.named_modules() if n]
    if readout is not None:
        ro_names = [_resolve(model, readout, "readout")]
    else:
        ro_names = [n for n, m in named if isinstance(m, READOUT_MODULES)]
    if ro_names:
        last = ro_names[-1]
        start = [n for n, _ in named].index(last)
        for n, m in named[start + 1:]:
            if n.startswith(last + "."):
                continue  # inside the readout (e.g. GlobalAttentionPooling's gate network)
            if _is_head_like(m):
                return n
        raise HMAApplyError(
            f"found the readout {last!r} ({type(model.get_submodule(last)).__name__}) in "
            f"{type(model).__name__} but no Linear/MLP head registered after it; pass head='name' "
            "naming the module that maps the pooled graph embedding to logits")
    try:
        source = inspect.getsource(type(model).forward)
    except (OSError, TypeError):
        source = ""
    if _READOUT_FUNCTIONS.search(source):
        candidates = [(n, m) for n, m in named if _is_head_like(m)]
        top = [n for n, _ in candidates
               if not any(n.startswith(o + ".") for o, _ in candidates if o != n)]
        if top:
            return top[-1]
    raise HMAApplyError(
        f"could not find a graph readout in {type(model).__name__}: it has no dgl.nn readout module "
        f"({', '.join(c.__name__ for c in READOUT_MODULES)}) and its forward does not call "
        "dgl.mean_nodes/sum_nodes/max_nodes/readout_nodes. Pass head='name' naming the module that "
        "maps the pooled (num_graphs, d) embedding to logits (or readout='name' for a custom "
        "readout module).")
