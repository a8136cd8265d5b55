"""Table 3's ``TABLE.md`` and ``PAIRED.png`` from records (pure functions of the records).

Rows: backbone (+variant) in the paper's order; columns: per data set ours (mean ± std over seeds of
test ROC-AUC in %) next to the paper's, and the mean over data sets (only where every data set has
a number; the paper's recomputed from its printed means, see ``paper.json``). Then the variants
with the across-batch block under the other inference mode, and every variant paired against its
own backbone on the same seeds (:func:`hma_graph.experiments.report.paired`: mean difference in
points, 95% t-interval, seeds up) next to the paper's difference of means. Last, the same paired
differences on test and on validation side by side (the best validation ROC-AUC, the selection
criterion), with every recipe that is not in the paper also paired against the library default
"hma". The caption is built from the records' resolved configs. ``PAIRED.png`` draws the paired
differences seed by seed.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from .paired_plot import plot_paired_rows
from .report import collect, fmt_cell, fmt_paired, fmt_paper, markdown_table, paired, paper_table, time_ratios
from .table3_spec import ABD_VARIANTS, DATASETS, MODELS, NOT_IN_PAPER, VARIANTS, row_label, short

__all__ = ["cells_of", "render", "paired_rows", "side_by_side_rows", "plot_paired"]


def _order(items, canonical) -> List[str]:
    items = set(items)
    return [c for c in canonical if c in items] + sorted(items - set(canonical))


def cells_of(records, value: str = "test") -> Dict:
    """{(dataset, model, variant): {seed: value}}."""
    cells = collect(records, lambda r: (r["spec"]["model"], r["spec"]["variant"]),
                    lambda r: r["spec"]["dataset"], value)
    return {(col, *row): v for (row, col), v in cells.items()}


def _shown(v: str, cells, m: str, datasets) -> bool:
    """Recipe variants are not paper rows: shown only where measured."""
    return v not in NOT_IN_PAPER or any((d, m, v) in cells for d in datasets)


def _compared(cells, datasets, models, variants) -> List[Tuple[str, str]]:
    """(model, variant) of every non-plain variant the tables show, in table order."""
    return [(m, v) for m in models for v in variants if v != "plain" and _shown(v, cells, m, datasets)]


def main_table(cells, paper, datasets, models, variants) -> str:
    header = ["model"] + [f"{short(d)} {w}" for d in datasets for w in ("ours", "paper")]
    if len(datasets) > 1:
        header += ["avg ours", "avg paper"]
    rows = []
    for m in models:
        for v in variants:
            if not _shown(v, cells, m, datasets):
                continue
            label = row_label(m, v)
            ours, theirs = [cells.get((d, m, v)) for d in datasets], [paper.get(label, {}).get(d) for d in datasets]
            row = [label] + [x for o, p in zip(ours, theirs) for x in (fmt_cell(o, "rocauc"), fmt_paper(p))]
            if len(datasets) > 1:
                row += ["-" if not all(ours) else f"{np.mean([100 * np.mean(list(c.values())) for c in ours]):.2f}",
                        "-" if not all(theirs) else f"{np.mean([p[0] for p in theirs]):.2f}"]
            rows.append(row)
    return markdown_table(header, rows)


def paired_rows(cells, paper, datasets, models, variants, other_cells=None, other_mode=None
                ) -> List[Tuple[str, Dict[str, Tuple[Optional[dict], Optional[float]]]]]:
    """Per non-plain variant: ``(label, {dataset: (paired difference or None, paper's or None)}, (model, variant))``;
    with ``other_cells`` a second row per variant measured under the other inference mode."""
    rows = []
    for m, v in _compared(cells, datasets, models, variants):
        base, label = row_label(m, "plain"), row_label(m, v)
        sources = [(f"{label} − {base}", cells)]
        if other_cells and any((d, m, v) in other_cells for d in datasets):
            sources.append((f"{label} [{other_mode} inference] − {base}", other_cells))
        for text, src in sources:
            per = {}
            for d in datasets:
                pv, pb = paper.get(label, {}).get(d), paper.get(base, {}).get(d)
                per[d] = (paired(src.get((d, m, v)), cells.get((d, m, "plain"))),
                          pv[0] - pb[0] if pv and pb else None)
            rows.append((text, per, (m, v)))
    return rows


def side_by_side_rows(test, valid, datasets, models, variants
                      ) -> List[Tuple[str, Dict[str, Tuple[Optional[dict], Optional[dict]]]]]:
    """``(label, {dataset: (paired test, paired validation)})`` for every variant against its backbone
    and every recipe not in the paper (``NOT_IN_PAPER``) against the library default "hma"."""
    rows = []
    for m, v in _compared(test, datasets, models, variants):
        for b in ("plain", "hma") if v in NOT_IN_PAPER else ("plain",):
            per = {d: (paired(test.get((d, m, v)), test.get((d, m, b))),
                       paired(valid.get((d, m, v)), valid.get((d, m, b)))) for d in datasets}
            if any(x for pair in per.values() for x in pair):
                rows.append((f"{row_label(m, v)} − {row_label(m, b)}", per))
    return rows


def side_by_side_table(rows, datasets) -> str:
    header = ["comparison"] + [f"{short(d)} {w}" for d in datasets for w in ("test", "valid")]
    return markdown_table(header, [[text] + [fmt_paired(x, "rocauc") for d in datasets for x in per[d]]
                                   for text, per in rows])


def time_vs_backbone(records) -> Dict[Tuple[str, str], float]:
    """(model, variant) -> median over (dataset, seed) pairs of wall_s(variant) / wall_s(plain)."""
    out = {}
    for m in {r["spec"]["model"] for r in records}:
        mine = [r for r in records if r["spec"]["model"] == m and "wall_s" in r]
        ratios = time_ratios(mine, lambda r: r["spec"]["variant"], "plain",
                             lambda r: (r["spec"]["dataset"], r["spec"]["epochs"], r["spec"]["seed"]))
        out.update({(m, v): t["run"] for v, t in ratios.items()})
    return out


def diff_table(rows, datasets, times=None) -> str:
    header = ["comparison"] + [f"{short(d)} {w}" for d in datasets for w in ("ours", "paper")] + ["time/run"]
    return markdown_table(header, [[text] + [x for d in datasets for x in (
        fmt_paired(per[d][0], "rocauc"), "-" if per[d][1] is None else f"{per[d][1]:+.2f}")]
        + ["-" if key not in (times or {}) or "inference]" in text else f"{times[key]:.2f}x"]
        for text, per, key in rows])


def caption(records) -> str:
    def values(f):
        return ", ".join(sorted({str(x) for r in records if (x := f(r)) is not None})) or "-"

    def backbone(r):
        m, t, lim = r["config"]["model"], r["config"]["train"], r["config"]["data"]["train_limit"]
        return (f"{m['num_layers']} layers x {m['emb_dim']}, dropout {m['drop_ratio']}, batch {t['batch_size']}, "
                f"Adam lr {t['lr']}" + (f", first {lim} training graphs" if lim else ""))

    def hma(r):  # settings of different variants are never merged
        h, lr = r["config"]["hma"], r["config"]["train"]
        if h is None:
            return None
        return (f"d_l {h['label_dim']}, m1 {h['memory_size']}, m2 {h['slots_per_class']}/class, "
                f"momentum warm-up {'on' if h['momentum_warmup'] else 'off'}, lr_scale {h.get('lr_scale', 1):g}"
                + (f", {h['block']} block" if h.get("block", "ours") != "ours" else "")
                + ("" if lr.get("hma_lr") is None else f", HMA layer Adam lr {lr['hma_lr']:g}"))

    per_variant = {}   # variant -> {dataset: settings}; a variant whose settings differ names each data set
    for r in records:
        if (x := hma(r)) is not None:
            per_variant.setdefault(r["spec"]["variant"], {})[r["spec"]["dataset"]] = x

    def entry(v):
        name, got = row_label("gcn", v).split("+", 1)[1], per_variant[v]
        if len(set(got.values())) == 1:
            return f"{name}: {next(iter(got.values()))}"
        return f"{name}: " + ", ".join(f"{short(d)} [{got[d]}]" for d in _order(got, DATASETS))

    settings = "; ".join(entry(v) for v in _order(per_variant, VARIANTS))
    epochs = "; ".join(f"{short(d)} "
                       + values(lambda r, d=d: r["spec"]["epochs"] if r["spec"]["dataset"] == d else None)
                       for d in _order({r["spec"]["dataset"] for r in records}, DATASETS))
    return (f"Table 3, profile {values(lambda r: r['config']['profile'])}: test ROC-AUC (%) on the official "
            f"scaffold split at the epoch of best validation ROC-AUC; ours = mean ± sample std over seeds "
            f"(n = seeds), seeds {values(lambda r: r['spec']['seed'])}; epochs: {epochs}; backbone "
            f"{values(backbone)}; HMA settings ({settings or '-'}); main number with HMA inference mode: "
            f"{values(lambda r: (r['config']['hma'] or {}).get('inference'))} (paper: batch inference, "
            f"{paper_table('table3')['seeds']} seeds, {paper_table('table3')['epochs']} epochs).")


def _layout(records):
    datasets = _order({r["spec"]["dataset"] for r in records}, DATASETS)
    models = _order({r["spec"]["model"] for r in records}, list(MODELS))
    variants = _order({r["spec"]["variant"] for r in records}, VARIANTS)
    modes = {r["config"]["eval"]["other_inference"] for r in records} - {None}
    other = modes.pop() if len(modes) == 1 else None
    return datasets, models, variants, other


def render(records: Sequence[Mapping], notes: Sequence[str] = ()) -> str:
    """The whole TABLE.md text (module docstring); ``notes`` are listed under the tables."""
    paper = paper_table("table3")
    datasets, models, variants, other = _layout(records)
    cells = cells_of(records)
    other_cells = cells_of(records, f"extra.test_{other}") if other else None
    parts = [f"# Table 3: OGB molecules, ROC-AUC (%)\n\n{caption(records)}\n",
             main_table(cells, paper["rows"], datasets, models, variants)]
    if len(datasets) > 1:
        parts.append("\navg = mean of the per-data-set means over the columns shown; " + paper["avg_note"])
    if other_cells:
        parts += [f"\n## Variants with the across-batch block under {other} inference (same selected weights)\n",
                  main_table(other_cells, paper["rows"] if other == "batch" else {}, datasets, models,
                             [v for v in variants if v in ABD_VARIANTS])]
    parts += ["\n## Variant minus backbone on the same seeds (percentage points)\n\n"
              "ours: mean over seeds of the per-seed difference [95% t-interval] (seeds where the variant is "
              "higher / seeds); paper: difference of the printed means; time/run: median over (data set, "
              "seed) pairs of the variant's training wall time divided by its backbone's.\n",
              diff_table(paired_rows(cells, paper["rows"], datasets, models, variants, other_cells, other),
                         datasets, time_vs_backbone(records))]
    valid = cells_of(records, "valid")
    if valid:
        parts += ["\n## Test and validation side by side (percentage points)\n\n"
                  "Each variant minus its backbone, and each recipe not in the paper minus the library default "
                  "(HMA), paired on the same seeds as above: test ROC-AUC at the selected epoch (test) and the "
                  "best validation ROC-AUC, which selects that epoch (valid). Where the two disagree in sign the "
                  "validation set could not have found the test difference.\n",
                  side_by_side_table(side_by_side_rows(cells, valid, datasets, models, variants), datasets)]
    if notes:
        parts += ["\n## Records left out\n", "\n".join(notes)]
    return "\n".join(parts) + "\n"


def plot_paired(records: Sequence[Mapping], path: Path):
    """PAIRED.png (:mod:`hma_graph.experiments.paired_plot`): per data set, each variant's per-seed
    differences to its backbone, their mean and 95% interval, and the paper's difference, in points.
    Returns the figure, or None when no variant has a paired difference."""
    datasets, models, variants, _ = _layout(records)
    rows = [(t, r) for t, r, _ in paired_rows(cells_of(records), paper_table("table3")["rows"], datasets, models,
                                              variants)]
    return plot_paired_rows(rows, datasets, path, "variant − backbone (ROC-AUC points)", title=short)
