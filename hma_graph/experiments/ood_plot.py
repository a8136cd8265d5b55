"""``BIAS.png`` of the Spurious-Motif suite: each method's test accuracy against the training bias b.

Left panel: mean ± sample std over seeds of the test accuracy (%) at each b; right panel: each
method minus ERM, paired on the same seeds (mean difference and its 95% t-interval; one seed: the
point alone). Both panels are pure functions of the records, like ``TABLE.md``; the methods are
drawn slightly apart along x so their bars do not hide each other.
"""
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Mapping, Optional, Sequence

from .ood_spec import LABELS, METHODS, spmotif_bias
from .report import collect, paired

__all__ = ["bias_series", "plot_bias"]


def bias_series(records: Sequence[Mapping]) -> dict:
    """``{method: [(b, mean %, std %, n, paired-with-ERM dict or None), ...]}`` sorted by b.

    ``std`` is the sample std (0 for one seed); the paired dict is :func:`report.paired` in
    percentage points (None for ERM itself or where no seed is shared with ERM).
    """
    cells = collect(records, lambda r: r["spec"]["method"], lambda r: r["spec"]["dataset"])
    out: dict = {}
    for (m, d), per_seed in cells.items():  # collect() makes no empty cells
        vals = [100.0 * float(v) for v in per_seed.values()]
        diff = None if m == "erm" else paired(per_seed, cells.get(("erm", d)))
        if diff is not None:
            diff = {**diff, "diffs": [100.0 * x for x in diff["diffs"]],
                    **{k: None if diff[k] is None else 100.0 * diff[k] for k in ("mean", "sd", "lo", "hi")}}
        sd = statistics.stdev(vals) if len(vals) > 1 else 0.0
        out.setdefault(m, []).append((spmotif_bias(d), statistics.fmean(vals), sd, len(vals), diff))
    order = [m for m in METHODS if m in out] + sorted(set(out) - set(METHODS))
    return {m: sorted(out[m], key=lambda p: p[0]) for m in order}


def plot_bias(records: Sequence[Mapping], path: Path) -> Optional[object]:
    """Write ``path`` (PNG) from the records; returns the figure, or None without records."""
    series = bias_series(records)
    if not series:
        return None
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .._atomic import atomic_path

    fig, (acc, dif) = plt.subplots(1, 2, figsize=(10.5, 4.6))
    step = 0.012
    for i, (m, pts) in enumerate(series.items()):
        dx = (i - (len(series) - 1) / 2) * step
        style = dict(color="k", ls="--") if m == "erm" else dict(color=f"C{i % 10}", lw=2.2 if m == "hma" else 1.2)
        label = LABELS.get(m, m)
        acc.errorbar([b + dx for b, *_ in pts], [p[1] for p in pts], yerr=[p[2] for p in pts], marker="o",
                     ms=3.5, capsize=2, label=label, **style)
        pd = [(b, d) for b, _, _, _, d in pts if d is not None]
        if pd:
            err = [[d["mean"] - (d["lo"] if d["lo"] is not None else d["mean"]) for _, d in pd],
                   [(d["hi"] if d["hi"] is not None else d["mean"]) - d["mean"] for _, d in pd]]
            dif.errorbar([b + dx for b, _ in pd], [d["mean"] for _, d in pd], yerr=err, marker="o", ms=3.5,
                         capsize=2, label=label, **style)
    dif.axhline(0.0, color="k", ls="--", lw=1)
    biases = sorted({b for pts in series.values() for b, *_ in pts})
    for ax, title in ((acc, "test accuracy (%), mean ± std over seeds"),
                      (dif, "method − ERM, same seeds (points), 95% t-interval")):
        ax.set_xticks(biases)
        ax.set_xlabel("training bias b")
        ax.set_title(title, fontsize=9)
        ax.grid(lw=0.3)
    handles, labels = acc.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(len(labels), 6), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.05 + 0.04 * ((len(labels) - 1) // 6), 1, 1))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    plt.close(fig)
    return fig
