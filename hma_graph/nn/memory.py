"""The real-memory queue of HMA: a FIFO of the last ``size`` training examples.

State (all registered buffers, so they live in ``state_dict`` and move with ``.to``):

    feats  (size, d_f)  stored features (from the momentum copy of the backbone, or detached
                        online features)
    labels (size,)      their true class indices (long)
    tokens (size, d_l)  only with ``token_dim``: the label tokens E(y) as they were at write time
                        (the authors' queue; by default HMA re-embeds ``labels`` at every read)
    ptr    ()           next slot to write
    count  ()           number of valid entries, 0..size (no noise entries: unfilled slots are
                        masked out of every read)

``write(feats, labels)`` is the only mutation and is explicit: the HMA layer calls it in training
mode only. Any batch size works: a batch larger than ``size`` keeps its last ``size`` rows.
Slots fill 0..size-1 before wrapping, so the valid entries are always the first ``count`` slots.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import nn

__all__ = ["MemoryQueue"]


class MemoryQueue(nn.Module):
    def __init__(self, size: int, dim: int, token_dim: Optional[int] = None):
        super().__init__()
        if size < 1:
            raise ValueError(f"memory size must be >= 1, got {size}")
        self.size, self.dim = int(size), int(dim)
        self.register_buffer("feats", torch.zeros(size, dim))
        self.register_buffer("labels", torch.zeros(size, dtype=torch.long))
        self.register_buffer("tokens", None if token_dim is None else torch.zeros(size, int(token_dim)))
        self.register_buffer("ptr", torch.zeros((), dtype=torch.long))
        self.register_buffer("count", torch.zeros((), dtype=torch.long))
        self.register_buffer("_slots", torch.arange(size), persistent=False)

    def __len__(self) -> int:
        return int(self.count)

    def valid_mask(self) -> torch.Tensor:
        """(size,) bool: True for slots that hold a written example."""
        return self._slots < self.count

    @torch.no_grad()
    def write(self, feats: torch.Tensor, labels: torch.Tensor, tokens: Optional[torch.Tensor] = None) -> None:
        """Push ``feats`` (n, d_f) with ``labels`` (n,) (and, for a queue with ``token_dim``, their
        label ``tokens`` (n, d_l)) in order; the oldest entries drop out."""
        if (tokens is None) != (self.tokens is None):
            raise ValueError("label tokens are stored exactly when the queue was built with token_dim")
        if feats.dim() != 2 or feats.shape[1] != self.dim:
            raise ValueError(f"queue entries must have shape (n, {self.dim}), got {tuple(feats.shape)}")
        if labels.shape != feats.shape[:1]:
            raise ValueError(f"{feats.shape[0]} features but labels of shape {tuple(labels.shape)}")
        n = feats.shape[0]
        if n == 0:
            return
        if n > self.size:
            feats, labels, n = feats[-self.size:], labels[-self.size:], self.size
            tokens = None if tokens is None else tokens[-self.size:]
        idx = (self.ptr + torch.arange(n, device=self.ptr.device)) % self.size
        self.feats.index_copy_(0, idx, feats.detach().to(self.feats.dtype))
        self.labels.index_copy_(0, idx, labels.to(torch.long))
        if tokens is not None:
            self.tokens.index_copy_(0, idx, tokens.detach().to(self.tokens.dtype))
        self.ptr.copy_((self.ptr + n) % self.size)
        self.count.copy_(torch.clamp(self.count + n, max=self.size))

    def contents(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """The valid entries, oldest first: ((count, d_f), (count,))."""
        count = int(self.count)
        if count < self.size:
            return self.feats[:count], self.labels[:count]
        order = (int(self.ptr) + torch.arange(self.size, device=self.feats.device)) % self.size
        return self.feats[order], self.labels[order]

    @torch.no_grad()
    def reset(self) -> None:
        self.feats.zero_()
        self.labels.zero_()
        if self.tokens is not None:
            self.tokens.zero_()
        self.ptr.zero_()
        self.count.zero_()

    def extra_repr(self) -> str:
        return f"size={self.size}, dim={self.dim}"
