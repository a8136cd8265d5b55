"""Tables from records: one formatter, paired differences with 95% t-intervals, timing ratios.

Numbers: ROC-AUC and accuracy are shown in percent with 2 decimals, MCC as a fraction with 3
(:func:`fmt`); a cell is ``mean ± std (n=k)`` over seeds (sample std, ddof 1; ``mean (n=1)`` for
one seed). A comparison of a variant with a baseline is paired on the seeds both have: per seed
d_s = variant(s) - baseline(s), shown as ``mean [lo, hi] (u/n seeds up)`` with the 95% t-interval
mean ± t_{0.975, n-1} sd(d) / sqrt(n) (no interval for one seed) and u = #{d_s > 0}. Timing:
median over the (dataset, seed) pairs both have of wall_s(variant) / wall_s(baseline).

    cells = collect(records, row_of=lambda r: r["spec"]["method"], col_of=lambda r: r["spec"]["dataset"])
    fmt_cell(cells[("hma", "NCI1")], "mcc")         # '0.169 ± 0.039 (n=3)'
    fmt_paired(paired(cells[("hma", "NCI1")], cells[("erm", "NCI1")]), "mcc")
"""
from __future__ import annotations

import json
import math
import statistics
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..metrics import summarize

__all__ = ["markdown_table", "fmt", "fmt_cell", "fmt_paper", "paired", "fmt_paired", "collect", "value_of",
           "time_ratios", "paper_table", "PERCENT_METRICS", "scale", "problems_note", "running_best_test"]

PERCENT_METRICS = ("accuracy", "rocauc")
PAPER = Path(__file__).resolve().with_name("paper.json")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence]) -> str:
    """A GitHub markdown table; every row has one cell per header entry."""
    lines = ["| " + " | ".join(map(str, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(str, r)) + " |" for r in rows]
    return "\n".join(lines)


def scale(metric: str) -> Tuple[float, int]:
    """(factor, decimals) of how ``metric`` is shown: percent for accuracy/ROC-AUC, else fraction."""
    return (100.0, 2) if metric in PERCENT_METRICS else (1.0, 3)


def fmt(value: float, metric: str, sign: bool = False) -> str:
    f, d = scale(metric)
    return f"{value * f:{'+' if sign else ''}.{d}f}"


def fmt_cell(per_seed: Optional[Mapping], metric: str) -> str:
    """'mean ± std (n=k)', 'mean (n=1)' or '-'."""
    if not per_seed:
        return "-"
    vals = list(per_seed.values())
    mean, std = summarize(vals)
    if len(vals) == 1:
        return f"{fmt(mean, metric)} (n=1)"
    return f"{fmt(mean, metric)} ± {fmt(std, metric)} (n={len(vals)})"


def fmt_paper(entry: Optional[Sequence[float]]) -> str:
    """The paper's printed '[mean, std]' (already in its display units)."""
    return "-" if not entry else f"{entry[0]:.2f} ± {entry[1]:.2f}"


def paired(variant: Optional[Mapping], base: Optional[Mapping]) -> Optional[dict]:
    """Per-seed differences variant - base on the seeds both have (module docstring), or None.

    Returns ``{"seeds", "diffs", "mean", "sd", "lo", "hi", "up", "n"}`` in the metric's raw units;
    ``lo``/``hi`` are None for one seed.
    """
    if not variant or not base:
        return None
    seeds = sorted(set(variant) & set(base), key=lambda s: (s is None, s))
    if not seeds:
        return None
    diffs = [float(variant[s]) - float(base[s]) for s in seeds]
    n, mean = len(diffs), statistics.fmean(diffs)
    sd = statistics.stdev(diffs) if n > 1 else 0.0
    lo = hi = None
    if n > 1:
        from scipy.stats import t

        half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        lo, hi = mean - half, mean + half
    return {"seeds": seeds, "diffs": diffs, "mean": mean, "sd": sd, "lo": lo, "hi": hi,
            "up": sum(d > 0 for d in diffs), "n": n}


def fmt_paired(d: Optional[Mapping], metric: str) -> str:
    """'+2.00 [-1.23, +5.23] (1/2 seeds up)'; one seed: '+2.00 (1/1 seeds up)'; none: '-'."""
    if d is None:
        return "-"
    ci = "" if d["lo"] is None else f" [{fmt(d['lo'], metric, True)}, {fmt(d['hi'], metric, True)}]"
    return f"{fmt(d['mean'], metric, True)}{ci} ({d['up']}/{d['n']} seeds up)"


def running_best_test(valid: Sequence[float], test: Sequence[float], patience: Optional[int],
                      warmup: int = 0) -> List[float]:
    """What a CIGA-style training loop logs per epoch: the test value of the best validation epoch so far.

    Epoch e (0-based) with validation v_e and test t_e: if v_e > best (strictly; best starts at 0 with
    test 0) the pair is taken and the counter reset, else the counter grows by 1 once e >= warmup;
    when e >= warmup and counter >= patience the loop stops without logging e. The HMA authors'
    "mean +- std" averages this list over every epoch of every seed (README, Deviations); our tables
    use one value per seed instead. Returns the logged values, one per epoch before the stop.
    """
    best_valid, best_test, count, out = 0.0, 0.0, 0, []
    for epoch, (v, t) in enumerate(zip(valid, test)):
        if v > best_valid:
            best_valid, best_test = v, t
            count = 0 if best_valid != 1.0 else count + int(epoch >= warmup)
        else:
            count += int(epoch >= warmup)
        if patience is not None and epoch >= warmup and count >= patience:
            break
        out.append(best_test)
    return out


def value_of(record: Mapping, key: str):
    """``record[key]``, or ``record["extra"][name]`` for ``key = "extra.<name>"``; None if absent."""
    if key.startswith("extra."):
        return (record.get("extra") or {}).get(key[len("extra."):])
    return record.get(key)


def collect(records: Iterable[Mapping], row_of: Callable, col_of: Callable, value: str = "test") -> Dict:
    """``{(row, col): {seed: value}}``; records without ``value`` are left out; a seed twice in a
    cell is an error (two protocols would be mixed)."""
    out: Dict[Tuple, Dict] = {}
    for r in records:
        v = value_of(r, value)
        if v is None:
            continue
        cell = out.setdefault((row_of(r), col_of(r)), {})
        seed = r["spec"].get("seed")
        if seed in cell:
            raise ValueError(f"seed {seed} appears twice in cell {(row_of(r), col_of(r))}: records of two "
                             "protocols in one table; keep one protocol per table")
        cell[seed] = float(v)
    return out


def time_ratios(records: Iterable[Mapping], row_of: Callable, base_row, pair_of: Callable) -> Dict:
    """row -> {"run", "epoch", "pairs"}: median ratios of wall_s (per run, per epoch) against
    ``base_row`` over the ``pair_of(record)`` keys (e.g. (dataset, seed)) both have."""
    by = {(row_of(r), pair_of(r)): r for r in records}
    out = {}
    for row in sorted({k[0] for k in by}, key=str):
        run, epoch = [], []
        for (rw, key), r in by.items():
            b = by.get((base_row, key))
            if rw != row or b is None:
                continue
            run.append(float(r["wall_s"]) / float(b["wall_s"]))
            epoch.append((float(r["wall_s"]) / max(int(r["epochs_run"]), 1))
                         / (float(b["wall_s"]) / max(int(b["epochs_run"]), 1)))
        if run:
            out[row] = {"run": statistics.median(run), "epoch": statistics.median(epoch), "pairs": len(run)}
    return out


def paper_table(name: str) -> dict:
    """The paper's numbers and facts of ``name`` (e.g. "table3", "table6") from ``paper.json``."""
    data = json.loads(PAPER.read_text())
    if name not in data:
        raise KeyError(f"no paper table {name!r}; known: {sorted(k for k in data if not k.startswith('_'))}")
    return data[name]


def problems_note(problems: Sequence[Tuple[Path, str]], other_protocol: int) -> List[str]:
    """Lines naming unusable record files and counting records of other protocols left out."""
    lines = [f"- not readable, left out: `{Path(p).name}`: {why}" for p, why in problems]
    if other_protocol:
        lines.append(f"- {other_protocol} record(s) of other protocols in this folder are not shown.")
    return lines
