"""Interleaved timing rounds: the one loop behind the speed benchmarks.

Timing configurations one after another lets slow drift of the machine (a neighbouring process,
thermal throttling, a warming allocator) fall on whichever configuration runs last. Here every round
runs each of the ``k`` configurations once, and round ``r`` starts at configuration ``r mod k``, so
over ``k`` rounds each configuration holds each position in the order exactly once; report the
median over rounds.

Example (``train`` and ``evaluate`` are the caller's epoch functions)::

    phases = {c: {"train": partial(train, c), "eval": partial(evaluate, c)} for c in ("a", "b")}
    times = interleaved_rounds(["a", "b"], 5, lambda r: phases)
    statistics.median(times["a"]["train"])
"""
from __future__ import annotations

import time
from typing import Callable, Dict, List, Mapping, Sequence

from tqdm import tqdm

__all__ = ["rotated", "interleaved_rounds"]

Phases = Mapping[str, Mapping[str, Callable[[], object]]]


def rotated(order: Sequence, r: int) -> list:
    """``order`` rotated left by ``r``: round ``r``'s run order (``rotated([a, b, c], 1) == [b, c, a]``)."""
    if not order:
        raise ValueError("rotated: the order of configurations is empty")
    k = r % len(order)
    return list(order[k:]) + list(order[:k])


def interleaved_rounds(configs: Sequence[str], rounds: int, phases: Callable[[int], Phases], *,
                       desc: str = "rounds", progress: bool = True,
                       clock: Callable[[], float] = time.perf_counter) -> Dict[str, Dict[str, List[float]]]:
    """Wall-clock seconds of each config's phases over ``rounds`` interleaved rounds.

    ``phases(r)`` is called once at the start of round ``r`` (so a round can draw a fresh batch
    order shared by every config) and returns ``{config: {phase: fn}}``; within a round the configs
    run in :func:`rotated` order and each config's phases in their mapping order. Returns
    ``{config: {phase: [seconds in round 0, 1, ...]}}``. Warm-up is the caller's job.
    """
    if rounds < 1:
        raise ValueError(f"interleaved_rounds: rounds must be >= 1, got {rounds}")
    out: Dict[str, Dict[str, List[float]]] = {c: {} for c in configs}
    for r in tqdm(range(rounds), desc=desc, disable=not progress):
        fns = phases(r)
        missing = [c for c in configs if c not in fns]
        if missing:
            raise KeyError(f"interleaved_rounds: phases({r}) has no entry for config(s) {missing}")
        for c in rotated(list(configs), r):
            for name, fn in fns[c].items():
                t0 = clock()
                fn()
                out[c].setdefault(name, []).append(clock() - t0)
    return out
