"""One memory for all ranks under data parallelism (plain torch.distributed, any backend).

With ``torch.nn.parallel.DistributedDataParallel`` every rank sees its own part of the batch. So
that all ranks hold the same queue, an HMA write first gathers the rows every rank is about to
write (keys, labels and, for stored label tokens, the tokens) and pushes them in rank order, as
MoCo gathers its keys: the queue then equals the one a single process would build from the
concatenated batch. Ranks may write different numbers of rows (a ragged last batch, unlabelled
or non-finite rows dropped): the sizes are exchanged first and the rows padded to the largest.
"""
from __future__ import annotations

from typing import List, Optional

import torch
import torch.distributed as dist

__all__ = ["world_size", "gather_rows"]


def world_size() -> int:
    """The number of processes of the default group, 1 when torch.distributed is not in use."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def gather_rows(*tensors: Optional[torch.Tensor]) -> List[Optional[torch.Tensor]]:
    """Every rank's rows of each tensor (same row count per rank across the tensors), concatenated
    in rank order and identical on every rank. ``None`` entries stay ``None``. Not differentiable
    (memory writes carry no gradient)."""
    ws = world_size()
    present = [t for t in tensors if t is not None]
    if ws == 1 or not present:
        return list(tensors)
    n = torch.tensor([present[0].shape[0]], device=present[0].device)
    sizes = [torch.zeros_like(n) for _ in range(ws)]
    dist.all_gather(sizes, n)
    sizes = [int(s) for s in sizes]
    m = max(sizes)
    out = []
    for t in tensors:
        if t is None:
            out.append(None)
            continue
        padded = t.new_zeros((m, *t.shape[1:]))
        padded[:t.shape[0]] = t.detach()
        parts = [torch.empty_like(padded) for _ in range(ws)]
        dist.all_gather(parts, padded)
        out.append(torch.cat([p[:s] for p, s in zip(parts, sizes)]))
    return out
