"""Mini-batches of DGL graphs: a seeded, re-iterable loader over (graphs, labels).

Each batch is ``(dgl.batch(graphs[idx]), labels[idx])``. Shuffling draws a fresh permutation per
epoch from a ``torch.Generator`` seeded once, so a run is repeatable. ``drop_last_if_single``
drops a final batch of one graph in training (batch norm cannot train on one sample).

Training transforms (Table 4's DropEdge / DropNode / Subgraph): with ``transform=fn``, every graph
of every batch is replaced by ``fn(graph, generator)`` before batching, drawn afresh each time from
a second generator seeded with ``seed + 1`` (so the batch order is the same as without the
transform). Only the training loader gets one; the stored graphs are never modified.

Data parallelism: with ``shard=(rank, world_size)`` every rank draws the same global batches and
yields its contiguous part of each (``torch.tensor_split``: parts differ by at most one graph, in
rank order, so gathered memory writes concatenate to the global batch); ``last_global_size`` is
the global batch's size (for the loss scaling). A final global batch with fewer graphs than ranks
is dropped, since every rank must take part in every step.
"""
from __future__ import annotations

from typing import Callable, Optional, Sequence, Tuple

import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

__all__ = ["GraphLoader"]


class GraphLoader:
    def __init__(self, graphs: Sequence, labels: torch.Tensor, batch_size: int = 32,
                 shuffle: bool = False, seed: int = 0, drop_last_if_single: bool = False,
                 indices: Optional[Sequence[int]] = None, shard: Optional[Tuple[int, int]] = None,
                 transform: Optional[Callable] = None):
        if len(graphs) != len(labels):
            raise ValueError(f"{len(graphs)} graphs but {len(labels)} labels")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.graphs, self.labels = graphs, torch.as_tensor(labels)
        self.indices = torch.arange(len(graphs)) if indices is None else torch.as_tensor(indices, dtype=torch.long)
        if len(self.indices) == 0:
            raise ValueError("empty split: no graphs to load")
        self.batch_size, self.shuffle = batch_size, shuffle
        self.drop_last_if_single = drop_last_if_single
        self.generator = torch.Generator().manual_seed(seed)
        self.transform = transform
        self.transform_generator = torch.Generator().manual_seed(seed + 1) if transform is not None else None
        self.rank, self.world_size = shard or (0, 1)
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"shard must be (rank, world_size) with 0 <= rank < world_size, got {shard}")

    def state_dict(self) -> dict:
        """The generators' states (what a resumed run needs to draw the same epochs)."""
        state = {"generator": self.generator.get_state()}
        if self.transform_generator is not None:
            state["transform_generator"] = self.transform_generator.get_state()
        return state

    def load_state_dict(self, state: dict) -> None:
        self.generator.set_state(state["generator"])
        if self.transform_generator is not None and "transform_generator" in state:
            self.transform_generator.set_state(state["transform_generator"])

    def __len__(self) -> int:
        n = len(self.indices)
        full, rest = divmod(n, self.batch_size)
        last = rest and not (self.drop_last_if_single and rest == 1 and full) and rest >= self.world_size
        return full + (1 if last else 0)

    def __iter__(self):
        idx = self.indices
        if self.shuffle:
            idx = idx[torch.randperm(len(idx), generator=self.generator)]
        for b in range(len(self)):
            sel = idx[b * self.batch_size:(b + 1) * self.batch_size]
            self.last_global_size = len(sel)
            if self.world_size > 1:
                sel = torch.tensor_split(sel, self.world_size)[self.rank]
            self.last_indices = sel  # data set indices of the batch being yielded (for error messages)
            graphs = [self.graphs[i] for i in sel.tolist()]
            if self.transform is not None:
                graphs = [self.transform(g, self.transform_generator) for g in graphs]
            yield dgl.batch(graphs), self.labels[sel]
