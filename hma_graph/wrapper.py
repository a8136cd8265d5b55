"""``hma_graph.apply`` (defined here): put HMA on an ordinary DGL graph classifier in one call.

An "ordinary DGL graph classifier" is message passing, then a readout (``dgl.nn.SumPooling``,
``AvgPooling``, ``MaxPooling``, ``GlobalAttentionPooling``, ``Set2Set``, ``WeightAndSum``, or the
functions ``dgl.mean_nodes`` / ``sum_nodes`` / ``max_nodes`` / ``readout_nodes``), then a head: an
``nn.Linear`` or an MLP (``nn.Sequential`` of Linear / norm / activation / dropout) that maps the
pooled embedding h (B, d_f) to logits.

``apply(model, num_classes)`` finds the head (the first head-like module registered after the
readout module, or, for a readout function, the last head-like module of the model), replaces it
*inside the user's model* by a tap that hands its input h back, and returns an :class:`HMAModel`
whose classifier is :class:`hma_graph.nn.HMA`. The backbone parameters are the user's own objects,
not copies. Pass ``head="attr.path"`` (or the module) where detection cannot work; the first
forward checks that what reaches the head is one row per graph.

Momentum copy (RMA's memory encoder, ``memory_encoder="momentum"``): the backbone's parameters
and floating-point buffers are copied once into buffers of the wrapper (so they are in
``state_dict``, move with ``.to``, get no gradient and are not in ``parameters()``). At the start
of every training forward that writes memory (that is, once after each optimiser step, as in MoCo)
they follow  theta_k <- lambda_t theta_k + (1 - lambda_t) theta_q ; integer buffers are copied.
With ``momentum_warmup=True`` (default) lambda_t = min(lambda, (1 + t) / (10 + t)) for the t-th
update (t = 0, 1, ...; the warm-up of TensorFlow's ``ExponentialMovingAverage(num_updates=...)``),
so the copy tracks the online backbone closely early in training and lambda_t reaches lambda
(0.999) after about 9,000 updates; ``momentum_warmup=False`` gives the constant lambda of MoCo and
the paper. Why the warm-up is the default: the copy runs in eval mode, and with a constant 0.999
it stays mostly the randomly initialised network (weights *and* batch-norm running statistics)
for the first ~1,000 updates, i.e. ~26 epochs of ogbg-molbace at batch 32. Its eval-mode
features are then nearly the same vector for every graph (measured on bace, GIN 5x300: per-feature
std across 64 graphs 0.005-0.006 against 0.19-0.50 for the online model, through epoch 11;
``benchmarks/momentum_keys.py``), so the queue carries labels but no usable keys.

The copy embeds the batch with ``torch.func.functional_call`` on the user's own module, in eval
mode (no dropout noise, batch-norm running statistics of the copy) under ``no_grad``; those
features are what the queue stores. ``memory_encoder="online"`` stores the detached online
features instead (no extra forward pass).

Training: ``logits = model(g, feats, labels=y)``; prediction: ``model(g, feats)`` (eval mode).
"""
from __future__ import annotations

from typing import Dict, List, Optional, Union

import torch
from torch import nn
from torch.func import functional_call

from ._head import (READOUT_MODULES, HeadTap, HMAApplyError, _find_head, _linears,  # noqa: F401
                    _PooledReached, _resolve)
from .nn.hma import HMA

__all__ = ["apply", "HMAModel", "HMAApplyError", "READOUT_MODULES", "warmup_momentum"]


def _graph_arg(args):
    """The first positional argument that looks like a (batched) DGL graph, or None."""
    return next((a for a in args if hasattr(a, "batch_size") and hasattr(a, "num_nodes")), None)


def warmup_momentum(momentum: float, t: int) -> float:
    """lambda_t = min(lambda, (1 + t) / (10 + t)) for the t-th momentum update (t = 0, 1, ...)."""
    return min(momentum, (1.0 + t) / (10.0 + t))


class HMAModel(nn.Module):
    """A DGL graph classifier whose head is HMA (built by :func:`apply`).

    Attributes: ``backbone`` (the user's model, head replaced by a tap), ``hma`` (the
    :class:`~hma_graph.nn.HMA` layer), ``momentum`` (buffers of the momentum copy, or None).
    ``forward(*args, labels=None, write=None, **kwargs)`` passes ``args``/``kwargs`` to the
    backbone's forward and returns logits (B, C).
    """

    hma_wrapped = True  # objectives use this to pass labels in training

    def __init__(self, backbone: nn.Module, head_name: str, hma: HMA, memory_encoder: str,
                 momentum: float, momentum_warmup: bool = True):
        super().__init__()
        if memory_encoder not in ("momentum", "online"):
            raise ValueError(f"memory_encoder must be 'momentum' or 'online', got {memory_encoder!r}")
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.backbone, self.hma, self.head_name = backbone, hma, head_name
        self.memory_encoder, self.momentum_coef = memory_encoder, float(momentum)
        self.momentum_warmup = bool(momentum_warmup)
        self._checked = False
        self._momentum_names: Dict[str, str] = {}
        if memory_encoder == "momentum" and hma.use_queue:
            self.momentum = nn.Module()
            state = dict(backbone.named_parameters())
            state.update(dict(backbone.named_buffers()))
            for i, (name, t) in enumerate(state.items()):
                key = f"t{i}_" + name.replace(".", "_")
                self.momentum.register_buffer(key, t.detach().clone())
                self._momentum_names[name] = key
            # number of momentum updates made so far (t of the warm-up); in state_dict for resuming
            self.register_buffer("momentum_updates", torch.zeros((), dtype=torch.long))
        else:
            self.momentum = None

    # ------------------------------------------------------------------ optimiser
    def param_groups(self, lr: float, hma_lr: Optional[float] = None) -> List[dict]:
        """Optimiser parameter groups: the backbone's parameters at ``lr``, HMA's at ``hma_lr``.

        ``torch.optim.Adam(model.param_groups(1e-3, hma_lr=1e-4))``. ``hma_lr=None`` means ``lr``
        (one group, the same as ``model.parameters()``). On the OGB molecule backbones, HMA's attention
        blocks trained at Adam 1e-3 (the backbone's rate) reach a clearly higher training loss than the
        backbone alone; at 1e-4 they track it (README, "Measured so far").
        """
        if lr <= 0 or (hma_lr is not None and hma_lr <= 0):
            raise ValueError(f"learning rates must be > 0, got lr={lr}, hma_lr={hma_lr}")
        if hma_lr is None:
            return [{"params": list(self.parameters()), "lr": lr}]
        hma_ids = {id(p) for p in self.hma.parameters()}
        rest = [p for p in self.parameters() if id(p) not in hma_ids]
        return [{"params": rest, "lr": lr}, {"params": list(self.hma.parameters()), "lr": hma_lr}]

    # ------------------------------------------------------------------ backbone passes
    def embed(self, *args, **kwargs) -> torch.Tensor:
        """Pooled embedding h (B, d_f): the input the user's head would have received."""
        return self._run(lambda: self.backbone(*args, **kwargs), args)

    def _run(self, call, args) -> torch.Tensor:
        try:
            call()
        except _PooledReached as stop:
            h = stop.pooled
        else:
            raise HMAApplyError(
                f"the backbone's forward returned without calling its head {self.head_name!r}; pass "
                "head='name' naming the module that its forward applies to the pooled embedding")
        if not self._checked:
            self._check_pooled(h, args)
        return h

    def _check_pooled(self, h, args) -> None:
        graph = _graph_arg(args)
        if not isinstance(h, torch.Tensor) or h.dim() != 2:
            raise HMAApplyError(f"the head {self.head_name!r} receives {getattr(h, 'shape', type(h))}, "
                                "not a (num_graphs, d) pooled embedding; pass head='name' explicitly")
        if graph is not None and h.shape[0] != graph.batch_size:
            raise HMAApplyError(
                f"the head {self.head_name!r} receives {h.shape[0]} rows for a batch of "
                f"{graph.batch_size} graphs: it does not sit after the readout. Pass head='name' "
                "naming the module applied to the pooled (num_graphs, d) embedding")
        self._checked = True

    @torch.no_grad()
    def momentum_step(self) -> None:
        """theta_k <- lambda_t theta_k + (1 - lambda_t) theta_q for parameters and float buffers."""
        online = dict(self.backbone.named_parameters())
        online.update(dict(self.backbone.named_buffers()))
        ks, qs = [], []
        for name, key in self._momentum_names.items():
            k, q = getattr(self.momentum, key), online[name].detach()
            if k.is_floating_point():
                ks.append(k)
                qs.append(q)
            else:
                k.copy_(q)
        if ks:  # k <- k + (1 - lambda) (q - k)  ==  lambda k + (1 - lambda) q, fused over tensors
            torch._foreach_lerp_(ks, qs, self._step_weight().to(ks[0].dtype))
        self.momentum_updates += 1

    def _step_weight(self) -> torch.Tensor:
        """1 - lambda_t as a 0-dim tensor on the buffers' device (computed in float64 like
        :func:`warmup_momentum`): no host synchronisation per training step."""
        if not self.momentum_warmup:
            return torch.tensor(1.0 - self.momentum_coef, dtype=torch.float64, device=self.momentum_updates.device)
        t = self.momentum_updates.to(torch.float64)
        return 1.0 - torch.clamp((1.0 + t) / (10.0 + t), max=self.momentum_coef)

    @torch.no_grad()
    def momentum_embed(self, *args, **kwargs) -> torch.Tensor:
        """Embeddings of the batch by the momentum copy, in eval mode: (B, d_f)."""
        state = {name: getattr(self.momentum, key) for name, key in self._momentum_names.items()}
        modes = [(m, m.training) for m in self.backbone.modules()]
        self.backbone.eval()
        try:
            return self._run(lambda: functional_call(self.backbone, state, args, kwargs), args)
        finally:
            for m, mode in modes:
                m.training = mode

    # ------------------------------------------------------------------ forward
    def forward(self, *args, labels: Optional[torch.Tensor] = None, write: Optional[bool] = None,
                **kwargs) -> torch.Tensor:
        writes = self.training and self.hma.use_queue and write is not False and labels is not None
        graph = _graph_arg(args)
        if writes and graph is not None:  # fail before any state (batch norm, momentum) changes
            self.hma.check_labels(labels, graph.batch_size)
        h = self.embed(*args, **kwargs)
        keys = None
        if writes:
            self.hma.check_labels(labels, h.shape[0])
            if self.momentum is not None:
                self.momentum_step()
                keys = self.momentum_embed(*args, **kwargs)
        return self.hma(h, labels=labels if self.training else None, keys=keys, write=write)


def apply(model: nn.Module, num_classes: Optional[int] = None, *, head: Union[str, nn.Module, None] = None,
          readout: Union[str, nn.Module, None] = None, variant: str = "hma",
          memory_encoder: str = "momentum", momentum: float = 0.999, momentum_warmup: bool = True,
          **hma_options) -> HMAModel:
    """Replace the classifier head of a DGL graph classifier with HMA.

    Args:
        model: the user's graph classifier (modified in place: its head becomes a tap; deep-copy it
            first to keep the original).
        num_classes: n >= 2 for multi-class, 1 for a single-logit binary task. Default: the
            head's output width.
        head: attribute path (e.g. ``"predict"``, ``"mlp.2"``) or module of the head, when
            detection fails.
        readout: attribute path or module of a custom readout module, to anchor head detection.
        variant: "hma" (default), "rma", "abd", "abd+syn", "abd+rma" or "param".
        memory_encoder: "momentum" (the paper) or "online" (store the detached online features;
            no momentum copy, no extra forward pass).
        momentum: lambda of the momentum update (0.999, as MoCo).
        momentum_warmup: ramp lambda_t = min(lambda, (1 + t) / (10 + t)) over the first updates
            (default; see the module docstring for why); False = constant lambda (the paper).
        **hma_options: passed to :class:`hma_graph.nn.HMA` (label_dim, memory_size,
            slots_per_class, num_heads, dropout, inference, attn_scale, head_input, ...), among them
            ``lr_scale`` (default 0.1: the HMA layer learns at 0.1 x the optimiser's lr in a plain
            ``Adam(model.parameters())``; 1 = the paper's single lr).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"apply() needs a torch.nn.Module, got {type(model).__name__}")
    if isinstance(model, HMAModel):
        raise HMAApplyError("this model already has HMA applied")
    head_name = _resolve(model, head, "head") if head is not None else _find_head(model, readout)
    head_module = model.get_submodule(head_name)
    linears = _linears(head_module)
    if not linears:
        raise HMAApplyError(f"the head {head_name!r} ({type(head_module).__name__}) has no nn.Linear, "
                            "so its input width is unknown; pass head='name' of a Linear/MLP head")
    feat_dim, out_dim = linears[0].in_features, linears[-1].out_features
    if num_classes is None:
        num_classes = out_dim
    elif num_classes != out_dim:
        raise HMAApplyError(f"num_classes={num_classes} but the model's head {head_name!r} outputs "
                            f"{out_dim} logits; pass the number the model was built for")
    parent_name, _, attr = head_name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, attr, HeadTap())
    p = next(model.parameters(), None)
    layer = HMA(feat_dim, num_classes, variant, **hma_options)
    if p is not None:
        layer = layer.to(device=p.device, dtype=p.dtype if p.is_floating_point() else None)
    return HMAModel(model, head_name, layer, memory_encoder, momentum, momentum_warmup)
