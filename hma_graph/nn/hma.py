"""Heterogeneous Memory Augmentation (HMA) on pooled graph embeddings (plain torch, no DGL).

Notation: B graphs in a batch, pooled backbone features h (B, d_f), n classes (a single-logit
binary task uses the two classes {0, 1} in memory and outputs one logit), label width d_l,
token width d = d_f + d_l, m1 queue entries, m2 synthetic slots per class.

1. Label tokens.  E is an (n + 1, d_l) embedding; row n is "unknown". A query never carries its
   own label: its token is  z_i = [h_i | E(unknown)]                                   (B, d)
2. Real memory augmentation (RMA).  A FIFO queue of the last m1 training examples (features k_j
   from a momentum copy of the backbone, or detached online features, with true labels y_j)
   forms context tokens  M_j = [k_j | E(y_j)]  (m1, d), re-embedded with the current E at every
   read. Each query attends over itself plus the *valid* entries (attention block 1):
       r_i = MAB_1(z_i ; {z_i} u {M_j : j valid})                                         (B, d)
   After the read, in training mode only, the batch is pushed into the queue with its labels.
3. Synthetic memory augmentation (SMA).  m2 learnable slots per class, S_{c,s} = [u_{c,s} | E(c)]
   (n m2, d). Attention block 2 runs across datapoints:
       batch mode (training, and the paper's inference):  o_i = MAB_2(r_i ; {r_1..r_B} u S)
       isolated mode (default inference):                  o_i = MAB_2(r_i ; {r_i} u S)
   In isolated mode a graph's prediction depends on nothing else in its batch.
4. Head.  logits = W o_i[label part] + b  (reference: the last d_l dims), or W o_i + b on the
   whole token (``head_input="token"``).

Variants (the ablation rows of the paper's tables), all the same module:

    variant   queue + block 1   block 2 across batch   slots
    hma       yes               yes                    yes
    rma       yes               -                      -
    abd       -                 yes                    -
    abd+syn   -                 yes                    yes
    abd+rma   yes               yes                    -
    param     block 1 only      block 2 only           registered, unused
              (self-attention)  (self-attention)
``param`` keeps every extra parameter of ``hma`` but no memory: both blocks see only the query's
own token, so the parameter count equals hma's and only the memory differs. Its slots get no
gradient.

Why isolated inference is the default: in batch mode a test graph's logits change with the other
graphs in its evaluation batch (batch size, order, shuffling), so the same graph can get different
predictions and a reported metric depends on the data loader. Isolated mode gives each graph one
answer. ``inference="batch"`` reproduces the paper; benchmarks report both.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional, Tuple

import torch
from torch import nn

from .attention import AttentionBlock
from .distributed import gather_rows
from .memory import MemoryQueue
from .scaling import DEFAULT_LR_SCALE, scale_learning_rate

__all__ = ["HMA", "VARIANTS", "inference_mode"]

# variant -> (queue and block 1, block 2 across the batch, synthetic slots)
VARIANTS = {
    "hma": (True, True, True),
    "rma": (True, False, False),
    "abd": (False, True, False),
    "abd+syn": (False, True, True),
    "abd+rma": (True, True, False),
    "param": (False, False, False),
}


def _auto_label_dim(feat_dim: int, num_heads: int, minimum: int = 16) -> int:
    d_l = minimum
    while (feat_dim + d_l) % num_heads:
        d_l += 1
    return d_l


class HMA(nn.Module):
    """HMA classifier head on pooled embeddings (see the module docstring for the math).

    Args:
        feat_dim: d_f, width of the pooled backbone embedding.
        num_classes: n >= 2 for a multi-class task (n logits, labels in 0..n-1), or 1 for a
            single-logit binary task (labels 0/1, NaN = unlabelled; one logit).
        variant: one of ``VARIANTS``.
        label_dim: d_l. Default: 16, raised to the next width that makes d_f + d_l divisible by
            ``num_heads``. An explicit value that does not divide raises.
        memory_size: m1, queue length (the paper searches 1-3 x batch size).
        slots_per_class: m2 (the paper searches 8-64 for graphs).
        num_heads, dropout: of both attention blocks (reference: 4 heads, 0.1).
        inference: "isolated" (default) or "batch" (paper), see module docstring.
        attn_scale: "head" (1/sqrt(d/H), default) or "full" (1/sqrt(d), the authors' code).
        head_input: "label" (reference: the label part of the token) or "token" (all of it).
        slot_init_std: standard deviation of the slots' normal initialisation (non-zero, so the
            m2 slots of a class receive different gradients and can diverge).
        block: "ours" (default) or "authors": the attention block of the authors' code (learned
            residual projection, no output projection, LayerNorm eps 1e-12, dropout also after
            the GELU; :class:`~hma_graph.nn.attention.AttentionBlock`).
        memory_labels: "embed" (default: the queue keeps labels and re-embeds them with the
            current E at every read, so E gets gradient through memory) or "stored" (the authors'
            queue: the label token E(y) is stored at write time, without gradient, and goes stale).
            The authors' configuration is ``block="authors", memory_labels="stored",
            attn_scale="full", lr_scale=1``, with ``momentum_warmup=False`` in :func:`hma_graph.apply` and
            gradient-norm clipping at 1.0 in training (``fit(clip_grad_norm=1.0)``).
        lr_scale: s > 0 (default 0.1, :data:`~hma_graph.nn.scaling.DEFAULT_LR_SCALE`); every HMA
            parameter is stored as theta and used as w = s * theta, so a plain Adam over all of the
            model's parameters at lr trains this layer at about s * lr (:mod:`hma_graph.nn.scaling`;
            with SGD the factor is s**2). 1 = no reparametrisation, every parameter at the one lr
            (the paper's setting).

    Forward: ``forward(h, labels=None, keys=None, write=None) -> logits`` of shape (B, n), or
    (B, 1) for binary. In training mode with a queue, ``labels`` are required (they are written
    to memory after the read, never read by the batch's own queries); pass ``write=False`` to train
    a step without writing. ``keys`` (B, d_f) are the features to store (default: ``h.detach()``).
    Evaluation mode never writes.
    """

    def __init__(self, feat_dim: int, num_classes: int, variant: str = "hma", *,
                 label_dim: Optional[int] = None, memory_size: int = 128, slots_per_class: int = 32,
                 num_heads: int = 4, dropout: float = 0.1, inference: str = "isolated",
                 attn_scale: str = "head", head_input: str = "label", slot_init_std: float = 1.0,
                 block: str = "ours", memory_labels: str = "embed", lr_scale: float = DEFAULT_LR_SCALE):
        super().__init__()
        if variant not in VARIANTS:
            raise ValueError(f"unknown HMA variant {variant!r}; choose one of {sorted(VARIANTS)}")
        if feat_dim < 1:
            raise ValueError(f"feat_dim must be >= 1, got {feat_dim}")
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1 (1 = single-logit binary), got {num_classes}")
        if head_input not in ("label", "token"):
            raise ValueError(f"head_input must be 'label' or 'token', got {head_input!r}")
        for name, value in (("num_heads", num_heads), ("memory_size", memory_size),
                            ("slots_per_class", slots_per_class)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if memory_labels not in ("embed", "stored"):
            raise ValueError(f"memory_labels must be 'embed' or 'stored', got {memory_labels!r}")
        if label_dim is None:
            label_dim = _auto_label_dim(feat_dim, num_heads)
        elif (feat_dim + label_dim) % num_heads:
            raise ValueError(f"feat_dim + label_dim = {feat_dim} + {label_dim} is not divisible by "
                             f"num_heads={num_heads}; choose label_dim accordingly or leave it unset")
        self.variant = variant
        self.use_queue, self.use_abd, self.use_slots = VARIANTS[variant]
        self.is_param = variant == "param"
        self.feat_dim, self.label_dim, self.dim = feat_dim, label_dim, feat_dim + label_dim
        self.num_classes = num_classes
        self.binary = num_classes == 1
        self.num_memory_classes = 2 if self.binary else num_classes  # classes that label tokens name
        self.head_input = head_input
        self.inference = inference  # validated by the property setter

        self.label_embed = nn.Embedding(self.num_memory_classes + 1, label_dim)  # last row: unknown
        self.memory_labels = memory_labels
        self.rma_block = (AttentionBlock(self.dim, num_heads, dropout, attn_scale, style=block)
                          if self.use_queue or self.is_param else None)
        self.sma_block = (AttentionBlock(self.dim, num_heads, dropout, attn_scale, style=block)
                          if self.use_abd or self.is_param else None)
        if self.use_slots or self.is_param:
            self.slots = nn.Parameter(torch.randn(self.num_memory_classes, slots_per_class, feat_dim)
                                      * slot_init_std)
            self.register_buffer("slot_labels", torch.arange(self.num_memory_classes)
                                 .repeat_interleave(slots_per_class), persistent=False)
        else:
            self.register_parameter("slots", None)
        self.queue = (MemoryQueue(memory_size, feat_dim, label_dim if memory_labels == "stored" else None)
                      if self.use_queue else None)
        self.head = nn.Linear(label_dim if head_input == "label" else self.dim,
                              1 if self.binary else num_classes)
        self.lr_scale = lr_scale
        scale_learning_rate(self, lr_scale)  # validates; 1 = no reparametrisation

    # ------------------------------------------------------------------ configuration
    @property
    def inference(self) -> str:
        return self._inference

    @inference.setter
    def inference(self, mode: str) -> None:
        if mode not in ("isolated", "batch"):
            raise ValueError(f"inference must be 'isolated' or 'batch', got {mode!r}")
        self._inference = mode

    @property
    def needs_labels(self) -> bool:
        """True when training steps must pass labels (the variant writes a memory queue)."""
        return self.use_queue

    # ------------------------------------------------------------------ input checks
    def check_features(self, h: torch.Tensor) -> None:
        if not isinstance(h, torch.Tensor) or h.dim() != 2:
            raise ValueError(f"HMA expects pooled graph embeddings of shape (B, {self.feat_dim}), "
                             f"got {getattr(h, 'shape', type(h))}")
        if h.shape[1] != self.feat_dim:
            raise ValueError(f"HMA was built for embeddings of width {self.feat_dim}, got width "
                             f"{h.shape[1]} (shape {tuple(h.shape)})")
        if h.shape[0] == 0:
            raise ValueError("empty batch: HMA got 0 graph embeddings")

    def check_labels(self, labels: torch.Tensor, batch_size: int) -> Tuple[torch.Tensor, torch.Tensor]:
        """Validate labels; return (class indices (B,) long, labelled mask (B,) bool)."""
        y = torch.as_tensor(labels)
        if y.dim() == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.dim() != 1:
            raise ValueError(
                f"labels must have shape ({batch_size},) or ({batch_size}, 1), got {tuple(y.shape)}. "
                "Multi-task labels (B, T > 1) are not supported: an HMA label token names one class "
                "per graph. Train one HMA model per task.")
        if y.shape[0] != batch_size:
            raise ValueError(f"{y.shape[0]} labels for a batch of {batch_size} graphs")
        y = y.to(self.head.weight.device)
        if self.binary:
            labelled = ~torch.isnan(y) if y.is_floating_point() else torch.ones_like(y, dtype=torch.bool)
            yl = y[labelled]
            if not bool(((yl == 0) | (yl == 1)).all()):
                raise ValueError(f"binary (num_classes=1) labels must be 0, 1 or NaN; got values "
                                 f"{torch.unique(yl).tolist()[:10]}")
            return torch.where(labelled, y, torch.zeros_like(y)).long(), labelled
        if y.is_floating_point() or y.dtype == torch.bool:
            raise ValueError(f"class labels must be an integer tensor, got dtype {y.dtype}")
        if bool(((y < 0) | (y >= self.num_classes)).any()):
            bad = y[(y < 0) | (y >= self.num_classes)].unique().tolist()[:10]
            raise ValueError(f"labels out of range for num_classes={self.num_classes}: {bad}")
        return y.long(), torch.ones_like(y, dtype=torch.bool)

    # ------------------------------------------------------------------ forward
    def _slot_tokens(self) -> torch.Tensor:
        u = self.slots.reshape(-1, self.feat_dim)
        return torch.cat([u, self.label_embed(self.slot_labels)], dim=1)

    def forward(self, h: torch.Tensor, labels: Optional[torch.Tensor] = None,
                keys: Optional[torch.Tensor] = None, write: Optional[bool] = None) -> torch.Tensor:
        self.check_features(h)
        B = h.shape[0]
        writes = self.training and self.use_queue and write is not False
        if writes and labels is None:
            raise ValueError(
                f"HMA ({self.variant}) is in training mode and writes its memory queue, so it needs "
                "the batch labels: call model(..., labels=y). To train a step without writing, pass "
                "write=False explicitly; for evaluation call model.eval().")
        if writes:
            y, labelled = self.check_labels(labels, B)
            if keys is None:
                keys = h.detach()
            elif keys.shape != h.shape:
                raise ValueError(f"keys must match the embeddings' shape {tuple(h.shape)}, got {tuple(keys.shape)}")

        unknown = self.label_embed.weight[-1].expand(B, self.label_dim)
        z = torch.cat([h, unknown], dim=1)  # (B, d)
        if self.use_queue:
            q = self.queue
            # clone: the embedding's backward keeps its indices, and the write below updates them in place
            tokens = q.tokens.clone() if q.tokens is not None else self.label_embed(q.labels.clone())
            context = torch.cat([q.feats, tokens], dim=1)  # (m1, d)
            z = self.rma_block(z, context, context_mask=q.valid_mask(), include_self=True)
        elif self.is_param:
            z = self.rma_block(z)
        if self.use_abd:
            slots = self._slot_tokens() if self.use_slots else None
            if self.training or self.inference == "batch":
                context = z if slots is None else torch.cat([z, slots], dim=0)
                z = self.sma_block(z, context, include_self=False)
            else:
                z = self.sma_block(z, slots, include_self=True)
        elif self.is_param:
            z = self.sma_block(z)
        logits = self.head(z[:, self.feat_dim:] if self.head_input == "label" else z)

        if writes:  # after the read: a batch never sees its own labels
            labelled = labelled & torch.isfinite(keys).all(dim=1)  # non-finite rows never enter memory
            tokens = self.label_embed(y[labelled]).detach() if self.memory_labels == "stored" else None
            # under data parallelism every rank pushes every rank's rows, in rank order (one memory)
            self.queue.write(*gather_rows(keys[labelled], y[labelled], tokens))
        return logits

    def extra_repr(self) -> str:
        return (f"variant={self.variant!r}, feat_dim={self.feat_dim}, label_dim={self.label_dim}, "
                f"num_classes={self.num_classes}, inference={self.inference!r}, head_input={self.head_input!r}")


@contextmanager
def inference_mode(model: nn.Module, mode: str) -> Iterator[nn.Module]:
    """Within the block, the HMA layer of ``model`` (an :class:`HMA`, or a model built by
    :func:`hma_graph.apply`, whose layer is ``model.hma``) predicts in ``mode`` ("isolated" or
    "batch"); the previous mode is restored on exit, also after an exception.

        with hma_graph.inference_mode(model, "batch"):
            logits = model(g, x)
    """
    inner = getattr(model, "module", model)  # a DistributedDataParallel wrapper's module
    layer = inner if isinstance(inner, HMA) else getattr(inner, "hma", None)
    if not isinstance(layer, HMA):
        raise TypeError(f"inference_mode needs an HMA layer or a model built by hma_graph.apply, "
                        f"got {type(model).__name__}")
    previous = layer.inference
    layer.inference = mode  # validated by the setter
    try:
        yield model
    finally:
        layer.inference = previous
