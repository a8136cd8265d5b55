"""What an HMA layer attends to, for inspection and figures (plain torch, no DGL).

    maps = attention_maps(model.hma, h)      # h: pooled embeddings (B, d_f), e.g. model.embed(g, x)

Computed exactly as isolated inference computes a prediction (eval mode, nothing written):

* ``maps["memory"]`` (B, 1 + m1): RMA's attention of each graph over [itself, queue entries],
  averaged over heads; ``maps["memory_labels"]`` (m1,) the entries' labels and
  ``maps["memory_valid"]`` (m1,) which entries hold an example (invalid ones get weight 0);
* ``maps["slots"]`` (B, 1 + n m2): the second block's attention over [itself, synthetic slots],
  averaged over heads; ``maps["slot_labels"]`` (n m2,) each slot's class.

Keys are present only for the parts the variant has.
"""
from __future__ import annotations

from typing import Dict

import torch

from .hma import HMA

__all__ = ["attention_maps"]


@torch.no_grad()
def attention_maps(layer: HMA, h: torch.Tensor) -> Dict[str, torch.Tensor]:
    if not isinstance(layer, HMA):
        raise TypeError(f"attention_maps needs an HMA layer (model.hma), got {type(layer).__name__}")
    layer.check_features(h)
    was_training = layer.training
    layer.eval()
    try:
        out: Dict[str, torch.Tensor] = {}
        z = torch.cat([h, layer.label_embed.weight[-1].expand(h.shape[0], layer.label_dim)], dim=1)
        if layer.use_queue:
            q = layer.queue
            tokens = q.tokens if q.tokens is not None else layer.label_embed(q.labels)
            z, attn = layer.rma_block(z, torch.cat([q.feats, tokens], dim=1), context_mask=q.valid_mask(),
                                      include_self=True, return_attention=True)
            out.update(memory=attn.mean(1), memory_labels=q.labels.clone(), memory_valid=q.valid_mask())
        if layer.use_abd and layer.use_slots:
            _, attn = layer.sma_block(z, layer._slot_tokens(), include_self=True, return_attention=True)
            out.update(slots=attn.mean(1), slot_labels=layer.slot_labels.clone())
        return out
    finally:
        layer.train(was_training)
