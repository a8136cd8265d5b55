"""The attention block of HMA: a pre-LayerNorm multi-head attention block ("MAB", Set Transformer /
NPT style) in which every query attends over its OWN token plus a set of context tokens shared by
the whole batch.

For queries X (B, d), context C (N, d), H heads of width d_h = d / H:

    Q   = LN_q(X) W_q                                    (B, H, d_h)
    K_i = [LN_kv(x_i) W_k ; LN_kv(C) W_k]                ((1 + N), H, d_h)   self key first
    V_i = [LN_kv(x_i) W_v ; LN_kv(C) W_v]
    A_i = softmax(s * Q_i K_i^T  masked where the context is invalid)     (H, 1 + N)
    Y   = X + dropout(concat_h(A_i V_i) W_o)                              (B, d)
    out = Y + dropout(FF(LN_ff(Y))),  FF = Linear(d, 4d) - GELU - Linear(4d, d)

s = 1/sqrt(d_h) (standard, default ``scale="head"``) or 1/sqrt(d) (``scale="full"``, the authors'
code, inherited from NPT).

``style="authors"`` is the block of the authors' released HMA code (an NPT "MAB" with
``mix_heads=False`` and a separate residual embedding), which differs in four places:

    Y   = X W_res + b_res + dropout(concat_h(A_i V_i))          learned residual, no output projection
    out = Y + dropout(Linear(dropout(GELU(Linear(LN_ff(Y))))))  a third dropout, after the GELU
    every LayerNorm with eps = 1e-12 (ours: 1e-5)

It has the same number of parameters as ours (W_res takes the place of W_o). ``include_self=False`` drops
the self key: used when the query's own token is already among the context (attention across the
datapoints of a batch).

This is the same computation as running the block on the sequence [x_i ; C] for every i and keeping
position 0, but it never materialises B copies of the context: the context's keys and values are
projected once, (N, d), and shared.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import nn

from .dropout import Dropout

__all__ = ["AttentionBlock", "STYLES"]

STYLES = ("ours", "authors")


class AttentionBlock(nn.Module):
    """Pre-LN multi-head attention block over "self + shared context" (see module docstring).

    Args:
        dim: token width d.
        num_heads: H; must divide ``dim``.
        dropout: dropout on both residual branches.
        scale: "head" for 1/sqrt(d/H) or "full" for 1/sqrt(d).
        ff_mult: hidden width of the feed-forward layer, in multiples of ``dim``.
        style: "ours" (default) or "authors" (module docstring).
    """

    def __init__(self, dim: int, num_heads: int = 4, dropout: float = 0.1, scale: str = "head",
                 ff_mult: int = 4, style: str = "ours"):
        super().__init__()
        if num_heads < 1 or dim % num_heads:
            raise ValueError(f"token width {dim} is not divisible by num_heads={num_heads}")
        if scale not in ("head", "full"):
            raise ValueError(f"scale must be 'head' or 'full', got {scale!r}")
        if style not in STYLES:
            raise ValueError(f"style must be one of {STYLES}, got {style!r}")
        self.dim, self.num_heads, self.head_dim = dim, num_heads, dim // num_heads
        self.scale_mode, self.style = scale, style
        self.scale = 1.0 / math.sqrt(self.head_dim if scale == "head" else dim)
        authors = style == "authors"
        eps = 1e-12 if authors else 1e-5
        self.ln_q = nn.LayerNorm(dim, eps=eps)
        self.ln_kv = nn.LayerNorm(dim, eps=eps)
        self.ln_ff = nn.LayerNorm(dim, eps=eps)
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(dim, 2 * dim)  # keys and values in one matmul
        self.o = None if authors else nn.Linear(dim, dim)      # output projection (ours)
        self.res = nn.Linear(dim, dim) if authors else None    # learned residual (authors)
        inner = [Dropout(dropout)] if authors else []
        self.ff = nn.Sequential(nn.Linear(dim, ff_mult * dim), nn.GELU(), *inner, nn.Linear(ff_mult * dim, dim))
        self.drop = Dropout(dropout)

    def forward(self, x: torch.Tensor, context: Optional[torch.Tensor] = None,
                context_mask: Optional[torch.Tensor] = None, include_self: bool = True,
                return_attention: bool = False):
        """x: (B, d) queries; context: (N, d) or None; context_mask: (N,) bool, True = valid.

        Returns (B, d), and the attention weights (B, H, include_self + N) if asked.
        """
        B, d = x.shape
        H, dh = self.num_heads, self.head_dim
        has_ctx = context is not None and context.shape[0] > 0
        if not include_self and not has_ctx:
            raise ValueError("attention with no self key needs a non-empty context")
        q = self.q(self.ln_q(x)).view(B, H, dh)
        logits = []
        if include_self:
            ks, vs = self.kv(self.ln_kv(x)).view(B, 2, H, dh).unbind(1)
            logits.append((q * ks).sum(-1, keepdim=True))  # (B, H, 1)
        if has_ctx:
            N = context.shape[0]
            kc, vc = self.kv(self.ln_kv(context)).view(N, 2, H, dh).unbind(1)
            lc = torch.einsum("bhd,nhd->bhn", q, kc)  # (B, H, N)
            if context_mask is not None:
                lc = lc.masked_fill(~context_mask.view(1, 1, N), float("-inf"))
            logits.append(lc)
        attn = torch.softmax(torch.cat(logits, dim=-1) * self.scale, dim=-1)
        out = 0
        if include_self:
            out = attn[..., :1] * vs
        if has_ctx:
            out = out + torch.einsum("bhn,nhd->bhd", attn[..., int(include_self):], vc)
        out = out.reshape(B, d)
        if self.o is not None:
            out = self.o(out)
        y = (x if self.res is None else self.res(x)) + self.drop(out)
        y = y + self.drop(self.ff(self.ln_ff(y)))
        return (y, attn) if return_attention else y

    def extra_repr(self) -> str:
        return f"dim={self.dim}, num_heads={self.num_heads}, scale={self.scale_mode!r}, style={self.style!r}"
