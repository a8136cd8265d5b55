"""``PAIRED.png``: paired differences per seed, one panel per data set (Tables 3 and 4).

Each row is one comparison (a method or variant minus its baseline on the same seeds); each panel
one data set. Drawn per row and panel, from :func:`hma_graph.experiments.report.paired`'s output
``d`` (raw metric units, multiplied by ``scale``):

* a dot per seed at ``scale * d["diffs"][i]``, labelled with the seed when there are at most
  ``LABELLED_SEEDS`` seeds (more labels overlap);
* the mean over seeds, a short vertical bar at ``scale * d["mean"]``;
* the 95% t-interval ``[scale * d["lo"], scale * d["hi"]]``, a thin horizontal line (two seeds or more),
  clipped to the range of the panel's dots, means and crosses; a clipped end is drawn as an arrowhead;
* the paper's difference of printed means, a cross, where the paper has both numbers.

A vertical line marks zero: dots right of it are seeds where the method is ahead.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping, Optional, Sequence, Tuple

__all__ = ["plot_paired_rows"]

LABELLED_SEEDS = 5
Row = Tuple[str, Mapping[str, Tuple[Optional[Mapping], Optional[float]]]]


def _panel(ax, rows: Sequence[Row], d: str, scale: float) -> None:
    ax.axvline(0.0, color="0.6", lw=0.8)
    intervals = []
    for y, (_, per) in enumerate(rows):
        ours, theirs = per.get(d, (None, None))
        if ours:
            xs = [scale * x for x in ours["diffs"]]
            ax.scatter(xs, [y] * ours["n"], s=18, color="C0", zorder=3)
            for x, s in zip(xs, ours["seeds"] if ours["n"] <= LABELLED_SEEDS else ()):
                ax.annotate(str(s), (x, y), xytext=(0, 4), textcoords="offset points", fontsize=6,
                            ha="center", color="C0")
            ax.plot([scale * ours["mean"]] * 2, [y - 0.3, y + 0.3], color="C0", lw=2)
            if ours.get("lo") is not None:
                intervals.append((scale * ours["lo"], scale * ours["hi"], y))
        if theirs is not None:
            ax.scatter([theirs], [y], marker="x", color="C3", zorder=4)
    ax.margins(x=0.08)
    lo_lim, hi_lim = ax.get_xlim()  # the dots, means and crosses set the range; intervals are clipped to it
    lo_lim, hi_lim = min(lo_lim, 0.0), max(hi_lim, 0.0)
    for lo, hi, y in intervals:
        ax.plot([max(lo, lo_lim), min(hi, hi_lim)], [y, y], color="C0", lw=0.8, alpha=0.6)
        for clipped, lim, marker in ((lo < lo_lim, lo_lim, "<"), (hi > hi_lim, hi_lim, ">")):
            if clipped:
                ax.plot([lim], [y], marker=marker, ms=4, color="C0", alpha=0.6, clip_on=False)
    ax.set_xlim(lo_lim, hi_lim)
    ax.grid(axis="x", lw=0.3)


def plot_paired_rows(rows: Sequence[Row], datasets: Sequence[str], path: Path, xlabel: str,
                     title: Callable[[str], str] = str, scale: float = 100.0):
    """Draw ``rows`` (``[(label, {dataset: (paired dict or None, paper difference or None)})]``) as
    one panel per data set and write ``path`` atomically. Returns the figure, or None (nothing
    written) when no row has a paired difference. The paper's differences are already in points."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from .._atomic import atomic_path

    rows = [r for r in rows if any(r[1].get(d, (None, None))[0] for d in datasets)]
    if not rows:
        return None
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 0.45 * len(rows) + 1.6),
                             sharey=True, squeeze=False)
    for ax, d in zip(axes[0], datasets):
        _panel(ax, rows, d, scale)
        ax.set_title(title(d))
        ax.set_xlabel(xlabel)
    axes[0][0].set_yticks(range(len(rows)))
    axes[0][0].set_yticklabels([t for t, _ in rows], fontsize=7)
    axes[0][0].invert_yaxis()
    per_seed = f"ours, per seed (number = seed, up to {LABELLED_SEEDS} seeds)"
    fig.legend(handles=[Line2D([], [], marker="o", ls="", color="C0", label=per_seed),
                        Line2D([], [], color="C0", lw=2, label="ours, mean over seeds"),
                        Line2D([], [], color="C0", lw=0.8, alpha=0.6, label="ours, 95% t-interval (arrow: clipped)"),
                        Line2D([], [], marker="x", ls="", color="C3", label="paper, difference of means")],
               loc="lower center", ncol=4, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    plt.close(fig)
    return fig
