"""Guards against non-finite numbers in training: what ``fit`` refuses, and how it says so.

* :func:`check_inputs`: before a batch's forward pass, every floating input (node, edge or graph
  features) must be finite; otherwise a ``FloatingPointError`` names the batch, the graphs in it
  and, when the loader tells (``loader.last_indices``), their indices in the data set. Checking
  before the forward keeps batch-norm statistics, HMA's memory and the momentum copy clean.
* :func:`non_finite_message`: why a training loss is not finite, naming the non-finite inputs, or
  saying the model diverged when the inputs are finite.
"""
from __future__ import annotations

import torch

__all__ = ["check_inputs", "non_finite_message"]


def check_inputs(args, step: int, loader) -> None:
    """FloatingPointError naming the batch and its graphs when a floating input is not finite."""
    for i, a in enumerate(args):
        if not (torch.is_tensor(a) and a.is_floating_point()) or bool(torch.isfinite(a).all()):
            continue
        rows = (~torch.isfinite(a.reshape(a.shape[0], -1))).any(1).nonzero().flatten()
        graphs = _graphs_of_rows(args[0], a.shape[0], rows)
        where = "" if graphs is None else f" in graph(s) {graphs.tolist()[:10]} of the batch"
        ids = getattr(loader, "last_indices", None)
        if graphs is not None and ids is not None:
            where += f" (data set indices {ids[graphs].tolist()[:10]})"
        raise FloatingPointError(f"batch {step}: input {i} {tuple(a.shape)} has {len(rows)} row(s) with NaN/inf"
                                 f"{where}; the step is refused before any state changes. Clean the data "
                                 "(non-finite features never train a model or enter HMA's memory).")


def _graphs_of_rows(g, n: int, rows: torch.Tensor):
    """Positions in the batch of the graphs that own ``rows`` of a node-, edge- or graph-level input."""
    counts = None
    if hasattr(g, "batch_num_nodes") and n == g.num_nodes():
        counts = g.batch_num_nodes()
    elif hasattr(g, "batch_num_edges") and n == g.num_edges():
        counts = g.batch_num_edges()
    elif hasattr(g, "batch_size") and n == g.batch_size:
        return rows.unique()
    if counts is None:
        return None
    return torch.searchsorted(torch.cumsum(counts, 0), rows, right=True).unique()


def non_finite_message(v: float, step: int, args, y) -> str:
    """Why a training loss is not finite, naming the inputs of the batch that are not."""
    bad = [f"input {i} ({tuple(a.shape)}) has {int((~torch.isfinite(a)).sum())} non-finite values"
           for i, a in enumerate(args) if torch.is_tensor(a) and a.is_floating_point() and not torch.isfinite(a).all()]
    if torch.is_tensor(y) and y.is_floating_point() and torch.isinf(y).any():
        bad.append("labels contain inf")
    why = "; ".join(bad) or "the inputs are finite: the model diverged (try a lower lr or clip_grad_norm)"
    return (f"training loss is {v} at batch {step} of the epoch; the run is stopped before the optimiser "
            f"step, so no NaN reaches the weights: {why}")
