"""hma_graph.experiments.timing: rotation order, what is timed, and bad arguments."""
import itertools

import pytest

from hma_graph.experiments.timing import interleaved_rounds, rotated


def test_rotated_by_hand():
    assert rotated(["a", "b", "c"], 0) == ["a", "b", "c"]
    assert rotated(["a", "b", "c"], 1) == ["b", "c", "a"]
    assert rotated(("a", "b", "c"), 5) == ["c", "a", "b"]  # 5 mod 3 = 2; tuples too
    with pytest.raises(ValueError, match="empty"):
        rotated([], 1)


def test_every_config_holds_every_position_once_over_k_rounds():
    configs = ["a", "b", "c", "d"]
    positions = {c: sorted(rotated(configs, r).index(c) for r in range(4)) for c in configs}
    assert all(p == [0, 1, 2, 3] for p in positions.values())


def test_interleaved_rounds_order_and_durations():
    """A fake clock that ticks once per reading and phases that advance it by a known amount: the
    durations must be exactly those amounts, and the call log must follow the rotated order."""
    now = itertools.count()
    extra = {"a": 10, "b": 20, "c": 30}
    log, built = [], []

    def phase(c, name):
        def fn():
            log.append((c, name))
            for _ in range(extra[c] + (1 if name == "eval" else 0)):
                next(now)
        return fn

    def phases(r):
        built.append(r)
        return {c: {"train": phase(c, "train"), "eval": phase(c, "eval")} for c in extra}

    out = interleaved_rounds(list(extra), 3, phases, progress=False, clock=lambda: float(next(now)))
    assert built == [0, 1, 2]  # phases(r) once per round, before that round's runs
    order = [c for c, name in log if name == "train"]
    assert order == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert log[:2] == [("a", "train"), ("a", "eval")]  # a config's phases run in their mapping order
    for c, n in extra.items():  # one tick between the two readings beside the phase's own ticks
        assert out[c] == {"train": [n + 1.0] * 3, "eval": [n + 2.0] * 3}


def test_interleaved_rounds_bad_arguments():
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        interleaved_rounds(["a"], 0, lambda r: {"a": {}}, progress=False)
    with pytest.raises(KeyError, match=r"\['b'\]"):
        interleaved_rounds(["a", "b"], 1, lambda r: {"a": {"train": lambda: None}}, progress=False)
