"""The OOD suites' ``TABLE.md`` from records (pure functions of the records).

Main table: rows = methods, per data set ours (mean ± std over seeds, MCC as a fraction, accuracy
in %) next to the paper's number, the average over the data sets, and the cost relative to ERM
(median over (dataset, seed) pairs of the wall-time ratio, per run and per epoch); HMA is also
shown under the paper's batch inference at the same selected weights. Second table: every method
paired against ERM on the same seeds (mean difference, 95% t-interval, seeds up). The caption is
built from the records' resolved configs.
"""
from __future__ import annotations

import statistics
from typing import Mapping, Optional, Sequence

from .ood_spec import LABELS, METHODS, RECIPE_METHODS, SUITES, spmotif_bias
from .report import (collect, fmt_cell, fmt_paired, fmt_paper, markdown_table, paired, paper_table,
                     scale, time_ratios)

__all__ = ["render", "BATCH_ROW"]

BATCH_ROW = "HMA, batch inference (paper's mode)"


def _datasets(suite: str, records) -> list:
    present = {r["spec"]["dataset"] for r in records}
    known = SUITES[suite]["datasets"]
    return [d for d in known if d in present] if known else sorted(present, key=spmotif_bias)


def _methods(cells) -> list:
    present = {m for m, _ in cells}
    return [m for m in METHODS if m in present] + sorted(present - set(METHODS))


def _row(label, method, table, datasets, metric, paper_rows, times):
    f, digits = scale(metric)
    cells, means, pmeans = [label], [], []
    prow = paper_rows.get(LABELS.get(method, method), {}) if paper_rows is not None else None
    for d in datasets:
        st = table.get((method, d))
        cells.append(fmt_cell(st, metric))
        if st:
            means.append(statistics.fmean(st.values()) * f)
        if prow is not None:
            cells.append(fmt_paper(prow.get(d)))
            if prow.get(d):
                pmeans.append(prow[d][0])
    if len(datasets) > 1:
        cells.append(f"{statistics.fmean(means):.{digits}f}" if len(means) == len(datasets) else "-")
        if prow is not None:
            cells.append(f"{statistics.fmean(pmeans):.{digits}f}" if len(pmeans) == len(datasets) else "-")
    t = (times or {}).get(method)
    return cells + (["-", "-"] if t is None else [f"{t['run']:.2f}x", f"{t['epoch']:.2f}x"])


def main_table(records, suite: str, datasets, paper_rows: Optional[Mapping]) -> str:
    metric = SUITES[suite]["metric"]
    row_of, col_of = (lambda r: r["spec"]["method"]), (lambda r: r["spec"]["dataset"])
    ours, batch = collect(records, row_of, col_of), collect(records, row_of, col_of, "extra.test_batch")
    times = time_ratios(records, row_of, "erm", lambda r: (r["spec"]["dataset"], r["spec"]["seed"]))
    header = ["method"]
    for d in datasets:
        header += [f"{d} (ours)"] + ([f"{d} (paper)"] if paper_rows is not None else [])
    if len(datasets) > 1:
        header += ["avg (ours)"] + (["avg (paper)"] if paper_rows is not None else [])
    header += ["time/run vs ERM", "time/epoch vs ERM"]
    rows = [_row(LABELS.get(m, m), m, ours, datasets, metric, paper_rows, times) for m in _methods(ours)]
    if any(("hma", d) in batch for d in datasets):
        rows.append(_row(BATCH_ROW, "hma", batch, datasets, metric, paper_rows, None))
    return markdown_table(header, rows)


def paired_table(records, suite: str, datasets) -> str:
    metric = SUITES[suite]["metric"]
    row_of, col_of = (lambda r: r["spec"]["method"]), (lambda r: r["spec"]["dataset"])
    ours, batch = collect(records, row_of, col_of), collect(records, row_of, col_of, "extra.test_batch")
    rows = [[f"{LABELS.get(m, m)} − ERM"] + [fmt_paired(paired(ours.get((m, d)), ours.get(("erm", d))), metric)
                                           for d in datasets] for m in _methods(ours) if m != "erm"]
    if any(("hma", d) in batch for d in datasets):
        rows.append([f"{BATCH_ROW} − ERM"] + [fmt_paired(paired(batch.get(("hma", d)), ours.get(("erm", d))), metric)
                                             for d in datasets])
    for m in RECIPE_METHODS:  # what the library default changed, on the same seeds
        if any(("hma", d) in ours and (m, d) in ours for d in datasets):
            rows.append([f"HMA − {LABELS[m]}"] + [fmt_paired(paired(ours.get(("hma", d)), ours.get((m, d))), metric)
                                                  for d in datasets])
    return markdown_table(["comparison"] + datasets, rows)


def _backbone(m: Mapping) -> str:
    """One model's description: 'GCN 3x32 mean readout, dropout 0.3' or 'ASAP 3x32, pooling ratio 0.8, ...'."""
    if m["name"] == "asap":
        return f"ASAP {m['num_layers']}x{m['hidden']}, pooling ratio {m['ratio']:g}, dropout {m['dropout']}"
    return f"{m['conv'].upper()} {m['num_layers']}x{m['hidden']} {m['readout']} readout, dropout {m['dropout']}"


def backbones(records: Sequence[Mapping]) -> str:
    """'GCN 3x32 ... (NCI1, DD); GIN 3x32 max ... (PROTEINS)': each model once, with its data sets."""
    where: dict = {}
    for r in records:
        where.setdefault(_backbone(r["config"]["model"]), set()).add(r["spec"]["dataset"])
    return "; ".join(f"{b} ({', '.join(sorted(ds))})" for b, ds in sorted(where.items())) or "-"


def caption(suite: str, records: Sequence[Mapping]) -> str:
    def values(f, sep=", "):
        return sep.join(sorted({str(x) for r in records if (x := f(r)) is not None})) or "-"

    info, metric = SUITES[suite], SUITES[suite]["metric"]
    name = "MCC" if metric == "mcc" else "accuracy (%)"
    tr = lambda r: r["config"]["train"]  # noqa: E731
    label = lambda r: LABELS.get(r["spec"]["method"], r["spec"]["method"])  # noqa: E731
    hparams = lambda r: ", ".join(  # noqa: E731
        f"{k} {v:g}" for k, v in sorted(r["config"]["objective"]["hparams"].items()))
    early = lambda r: ("no early stopping" if tr(r)["patience"] is None else  # noqa: E731
                       f"early stopping with patience {tr(r)['patience']} counted after {tr(r)['warmup']} "
                       "warm-up epochs")
    hma = lambda r: None if r["config"]["hma"] is None else f"{label(r)}: " + ", ".join(  # noqa: E731
        f"{k} {v}" for k, v in sorted(r["config"]["hma"].items()))
    ciga = lambda r: None if r["config"]["model"]["name"] != "ciga" else (  # noqa: E731
        f"{r['spec']['dataset']} {label(r)}: r {r['config']['model']['ratio']:g}, {hparams(r)}")
    pen = lambda r: None if r["config"]["model"]["name"] in ("ciga", "asap") or r["config"]["hma"] else (  # noqa: E731
        f"{label(r)}: {hparams(r) or 'none'}")
    lines = [f"**{info['title']}**: {name}, test at the best validation epoch; ours: mean ± sample std over "
             f"seeds (n = seeds), seeds {values(lambda r: r['spec']['seed'])}; profile "
             f"{values(lambda r: r['config']['profile'])}.",
             f"Training: up to {values(lambda r: tr(r)['epochs'])} epochs, {values(early)} (CIGA's rule), batch "
             f"{values(lambda r: tr(r)['batch_size'])}, Adam lr {values(lambda r: tr(r)['lr'])}. Backbones: "
             f"{backbones(records)}.",
             f"Penalties (2 random environments per batch; IRM's penalty is summed over them, so lambda = 1 "
             f"here is DomainBed's 2): {values(pen, '; ')}. CIGA and DIR (rationale ratio r, weights): "
             f"{values(ciga, '; ')}. HMA rows (trained with ERM; isolated inference, and the paper's batch "
             f"inference in the row so named): {values(hma, '; ')}.",
             "Time columns: median over (dataset, seed) pairs of the method's training wall time (incl. per-epoch "
             "evaluation) divided by ERM's, per run and per epoch."]
    if suite == "spmotif":
        lines.append("Data generated from the seed: train/val/test sizes "
                     f"{values(lambda r: '/'.join(map(str, r['config']['data']['sizes'])))}, train/val bases "
                     f"small, test bases {values(lambda r: r['config']['data']['test_base_size'])}. No paper numbers.")
    else:
        p = paper_table(info["paper"])
        lines.append(f"Paper: arXiv 2310.10909, {info['paper'].replace('table', 'Table ')}, {p['seeds']} seeds.")
    if suite == "sst":
        lines.append("Data: DIG's SentiGraph raw files (Graph-SST5, Graph-Twitter), which a user supplies with "
                     "--raw-dir (no checksummed public download; not in our offline mirror). The loader, split "
                     "and sweep are tested on generated files in DIG's format; the numbers here are from "
                     "whichever files the records were made with.")
    return "\n".join(lines)


def _rank(means: Mapping[str, float], method: str) -> str:
    """'2 of 9': 1 + the number of methods with a strictly higher mean."""
    if method not in means:
        return "-"
    return f"{1 + sum(v > means[method] for v in means.values())} of {len(means)}"


def rank_table(records, suite: str, datasets, paper_rows: Optional[Mapping], method: str = "hma") -> str:
    """HMA's rank among the methods by mean test metric per data set, ours and (where given) the paper's."""
    ours = collect(records, lambda r: r["spec"]["method"], lambda r: r["spec"]["dataset"])
    rows = [["ours"] + [_rank({m: statistics.fmean(st.values()) for (m, dd), st in ours.items()
                               if dd == d and st and m not in RECIPE_METHODS}, method) for d in datasets]]
    if paper_rows is not None:
        label = LABELS.get(method, method)
        rows.append(["paper"] + [_rank({m: row[d][0] for m, row in paper_rows.items() if row.get(d)}, label)
                                 for d in datasets])
    return markdown_table([f"{LABELS.get(method, method)} rank"] + list(datasets), rows)


def render(records: Sequence[Mapping], suite: str, notes: Sequence[str] = ()) -> str:
    """The whole TABLE.md text of one suite's records."""
    datasets = _datasets(suite, records)
    paper_rows = paper_table(SUITES[suite]["paper"])["rows"] if SUITES[suite]["paper"] else None
    parts = [caption(suite, records), "", main_table(records, suite, datasets, paper_rows), "",
             f"## Each method minus ERM on the same seeds ({'MCC' if SUITES[suite]['metric'] == 'mcc' else 'points'})",
             "", "mean over seeds of the per-seed difference [95% t-interval] "
             "(seeds where the method is higher / seeds).",
             "", paired_table(records, suite, datasets), "",
             "## HMA's rank among the methods", "",
             "by mean test value per data set (1 = best; methods with records here, HMA with the library's "
             "defaults, and the paper's rows).",
             "", rank_table(records, suite, datasets, paper_rows)]
    if notes:
        parts += ["", "## Records left out", "", *notes]
    return "\n".join(parts) + "\n"
