"""Table 4's ``TABLE.md`` and ``PAIRED.png`` from records (pure functions of the records).

Main table: rows = methods in the paper's order; per data set ours (mean ± sample std over seeds of
test accuracy in %, at the best validation epoch) next to the paper's, the mean over the data sets
(only where every data set shown has a number), and the cost relative to vanilla (median over
(data set, seed) pairs of the wall-time ratio, per run and per epoch). The variants with the
across-batch block (ABD, ABD+SYN, HMA) are also shown under the paper's batch inference at the
same selected weights. Second table: every method paired against vanilla on the same seeds
(:func:`hma_graph.experiments.report.paired`: mean difference in points, 95% t-interval, seeds
up) next to the paper's difference of means. Third table: the time ratio against vanilla per data
set. The caption is built from the records' configs. ``PAIRED.png`` draws the paired differences
seed by seed.
"""
from __future__ import annotations

import statistics
from pathlib import Path
from typing import Mapping, Optional, Sequence

from .paired_plot import plot_paired_rows
from .report import collect, fmt_cell, fmt_paired, fmt_paper, markdown_table, paired, paper_table, time_ratios
from .table4_spec import DATASETS, LABELS, METHODS, PROFILE_NOTES

__all__ = ["render", "batch_label", "paired_rows", "plot_paired"]

METRIC = "accuracy"
BASE = "vanilla"


def batch_label(method: str) -> str:
    return f"{LABELS.get(method, method)}, batch inference (paper's mode)"


def _order(items, canonical) -> list:
    items = set(items)
    return [c for c in canonical if c in items] + sorted(items - set(canonical))


def _datasets(records) -> list:
    return _order({r["spec"]["dataset"] for r in records}, DATASETS)


def _cells(records, value: str = "test"):
    return collect(records, lambda r: r["spec"]["method"], lambda r: r["spec"]["dataset"], value)


def _row(label, method, cells, datasets, paper_rows, times):
    row, ours, theirs = [label], [], []
    prow = paper_rows.get(LABELS.get(method, method), {})
    for d in datasets:
        c = cells.get((method, d))
        row += [fmt_cell(c, METRIC), fmt_paper(prow.get(d))]
        ours.append(statistics.fmean(c.values()) * 100 if c else None)
        theirs.append(prow[d][0] if prow.get(d) else None)
    if len(datasets) > 1:
        row += [f"{statistics.fmean(ours):.2f}" if None not in ours else "-",
                f"{statistics.fmean(theirs):.2f}" if None not in theirs else "-"]
    t = (times or {}).get(method)
    return row + (["-", "-"] if t is None else [f"{t['run']:.2f}x", f"{t['epoch']:.2f}x"])


def main_table(records, datasets, paper_rows) -> str:
    cells, batch = _cells(records), _cells(records, "extra.test_batch")
    times = time_ratios(records, lambda r: r["spec"]["method"], BASE,
                        lambda r: (r["spec"]["dataset"], r["spec"]["seed"]))
    header = ["method"] + [f"{d} {w}" for d in datasets for w in ("(ours)", "(paper)")]
    if len(datasets) > 1:
        header += ["avg (ours)", "avg (paper)"]
    header += ["time/run vs vanilla", "time/epoch vs vanilla"]
    methods = _order({m for m, _ in cells}, METHODS)
    rows = [_row(LABELS.get(m, m), m, cells, datasets, paper_rows, times) for m in methods]
    rows += [_row(batch_label(m), m, batch, datasets, paper_rows, None)
             for m in _order({m for m, _ in batch}, METHODS)]
    return markdown_table(header, rows)


def paired_rows(records, datasets, paper_rows) -> list:
    """``[(label, {dataset: (paired difference or None, paper's difference or None)})]``: every method
    minus vanilla on the same seeds, then the batch-inference rows minus vanilla."""
    cells, batch = _cells(records), _cells(records, "extra.test_batch")
    base_paper = paper_rows.get(LABELS[BASE], {})
    sources = [(m, LABELS.get(m, m), cells) for m in _order({m for m, _ in cells}, METHODS) if m != BASE]
    sources += [(m, batch_label(m), batch) for m in _order({m for m, _ in batch}, METHODS)]
    rows = []
    for m, label, src in sources:
        prow, per = paper_rows.get(LABELS.get(m, m), {}), {}
        for d in datasets:
            pv, pb = prow.get(d), base_paper.get(d)
            per[d] = (paired(src.get((m, d)), cells.get((BASE, d))), pv[0] - pb[0] if pv and pb else None)
        rows.append((f"{label} − vanilla", per))
    return rows


def paired_table(records, datasets, paper_rows) -> str:
    rows = [[label] + [x for d in datasets for x in (fmt_paired(per[d][0], METRIC),
                                                      "-" if per[d][1] is None else f"{per[d][1]:+.2f}")]
            for label, per in paired_rows(records, datasets, paper_rows)]
    return markdown_table(["comparison"] + [f"{d} {w}" for d in datasets for w in ("ours", "paper")], rows)


def time_table(records, datasets) -> str:
    """Per method and data set, the median over seeds of the method's wall time per run divided by
    vanilla's on the same seed (the main table's column pools the data sets, whose costs differ)."""
    per = {d: time_ratios([r for r in records if r["spec"]["dataset"] == d], lambda r: r["spec"]["method"], BASE,
                          lambda r: r["spec"]["seed"]) for d in datasets}
    methods = _order({m for t in per.values() for m in t}, METHODS)
    rows = [[LABELS.get(m, m)] + [f"{per[d][m]['run']:.2f}x ({per[d][m]['pairs']})" if m in per[d] else "-"
                                  for d in datasets] for m in methods]
    return markdown_table(["method"] + list(datasets), rows)


def plot_paired(records: Sequence[Mapping], path: Path):
    """PAIRED.png (:mod:`hma_graph.experiments.paired_plot`): per data set, each method's per-seed
    differences to vanilla, their mean and 95% interval, and the paper's difference, in points.
    Returns the figure, or None when no method has a paired difference."""
    datasets = _datasets(records)
    rows = paired_rows(records, datasets, paper_table("table4")["rows"])
    return plot_paired_rows(rows, datasets, path, "method − vanilla (accuracy points)")


def _values(records, f) -> str:
    return ", ".join(sorted({str(x) for r in records if (x := f(r)) is not None}, key=_natural)) or "-"


def _seeds(records) -> str:
    """'1314, 11314' when every data set has the same seeds, else each seed list with its data sets."""
    by: dict = {}
    for r in records:
        by.setdefault(r["spec"]["dataset"], set()).add(str(r["spec"]["seed"]))
    groups: dict = {}
    for d in _order(by, DATASETS):
        groups.setdefault(", ".join(sorted(by[d], key=_natural)), []).append(d)
    if len(groups) == 1:
        return next(iter(groups))
    return "; ".join(f"{s} ({', '.join(ds)})" for s, ds in groups.items())


def _natural(s: str):
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


def _features(r) -> Optional[str]:
    if r["spec"]["method"] == "gmixup":
        return None  # featurised together with its synthetic graphs
    width = r.get("in_dim")
    rule = "z-scored degree" if width == 1 else f"one-hot degree ({width} features)"
    return f"{r['spec']['dataset']} {rule}"


def _split(r) -> str:
    return "/".join(f"{100 * x:g}" for x in r["config"]["data"]["split"])


def _backbone(r) -> str:
    m = r["config"]["model"]
    return (f"{m['conv'].upper()} {m['num_layers']}x{m['hidden']}, {m['readout']} readout, "
            f"{m.get('head_layers', 1)}-layer head, dropout {m['dropout']}")


def _method_settings(r) -> Optional[str]:
    c, m = r["config"], r["spec"]["method"]
    if c["data"].get("augment"):
        a = {k: v for k, v in c["data"]["augment"].items() if k != "name"}
        return f"{LABELS[m]} " + ", ".join(f"{k} {v:g}" for k, v in sorted(a.items()))
    if c["objective"] is not None:
        return f"{LABELS[m]} " + ", ".join(f"{k} {v:g}" for k, v in sorted(c["objective"]["hparams"].items()))
    if c["data"].get("gmixup"):
        g = c["data"]["gmixup"]
        return (f"G-Mixup graphons at the {g['resolution']} node count, USVT threshold {g['threshold']:g}, "
                f"{g['aug_num']} lam ~ U{g['lam_range']}, {g['aug_ratio']:g} x training set synthetic graphs"
                f"{', isolated nodes removed' if g['drop_isolated'] else ''}")
    return None


def caption(records: Sequence[Mapping]) -> str:
    v = lambda f: _values(records, f)  # noqa: E731
    tr = lambda r: r["config"]["train"]  # noqa: E731
    sched = lambda r: (f"halved every {tr(r)['lr_step'][0]} epochs" if tr(r).get("lr_step") and  # noqa: E731
                       tr(r)["lr_step"][1] == 0.5 else str(tr(r).get("lr_step")))
    hma = lambda r: None if r["config"]["hma"] is None else ", ".join(  # noqa: E731
        f"{k} {x}" for k, x in sorted(r["config"]["hma"].items()) if k != "variant")
    profiles = sorted({r["config"]["profile"] for r in records})
    notes = " ".join(f"Profile {p}: {PROFILE_NOTES[p]}" for p in profiles if p in PROFILE_NOTES)
    paper = paper_table("table4")
    return "\n".join([
        f"**Table 4: TU in-distribution (G-Mixup's protocol)**: test accuracy (%) at the best validation epoch "
        f"(earliest on ties); ours: mean ± sample std over seeds (n = seeds), seeds {_seeds(records)}; "
        f"profile {', '.join(profiles)}. {notes}",
        f"Split: per seed one random split {v(_split)} "
        f"(train/valid/test %, G-Mixup's seeded shuffle). Features: one-hot node degree when the largest degree is "
        f"below {v(lambda r: r['config']['data']['one_hot_below'])}, else the z-scored degree: {v(_features)}.",
        f"Training: {v(lambda r: tr(r)['epochs'])} epochs, batch {v(lambda r: tr(r)['batch_size'])}, Adam lr "
        f"{v(lambda r: tr(r)['lr'])} {v(sched)}, weight decay {v(lambda r: tr(r)['weight_decay'])}. Backbone: "
        f"{v(_backbone)}.",
        f"Methods: {v(_method_settings)}. HMA and its ablations (head replaced, main rows isolated inference): "
        f"{v(hma)}.",
        "Time columns: median over (data set, seed) pairs of the method's training wall time (incl. per-epoch "
        "evaluation) divided by vanilla's, per run and per epoch.",
        f"Paper: arXiv 2310.10909, Table 4, {paper['seeds']} seeds."])


def render(records: Sequence[Mapping], notes: Sequence[str] = ()) -> str:
    """The whole TABLE.md text (module docstring); ``notes`` are listed under the tables."""
    paper_rows = paper_table("table4")["rows"]
    datasets = _datasets(records)
    parts = ["# Table 4: TU in-distribution, accuracy (%)", "", caption(records), "",
             main_table(records, datasets, paper_rows), "",
             "## Each method minus vanilla on the same seeds (percentage points)", "",
             "ours: mean over seeds of the per-seed difference [95% t-interval] (seeds where the method is higher "
             "/ seeds); paper: difference of the printed means.", "", paired_table(records, datasets, paper_rows),
             "", "## Time per run relative to vanilla, per data set", "",
             "Median over seeds of the method's training wall time (incl. per-epoch evaluation) divided by "
             "vanilla's on the same seed (seeds paired).", "", time_table(records, datasets)]
    if notes:
        parts += ["", "## Records left out", "", *notes]
    return "\n".join(parts) + "\n"
