"""Table 3 of the paper: OGB molecular property prediction (ROC-AUC %), with and without HMA.

    python benchmarks/table3.py                                   # paper profile, everything (hours)
    python benchmarks/table3.py --profile quick --datasets bace --models gin --variants plain hma --seeds 0
    python benchmarks/table3.py --hiv-epochs 30                   # a stated, reduced hiv protocol
    python benchmarks/table3.py --table-only                      # re-print TABLE.md from the records

Sweep: dataset x seed x backbone (gcn, gcn-v, gin, gin-v) x variant ("plain" = the backbone's own
linear head; "hma" and its ablations rma, abd, abd+syn, abd+rma, param = ``hma_graph.apply``;
"hma-lr0.1" = "hma" with the HMA layer's parameters at 0.1 x the Adam lr, not in the paper), run
through ``hma_graph.sweep.run_sweep``: one atomic JSON record per run in
``benchmarks/results/table3/<profile>/`` (or ``--out``), named by its spec
``{dataset, epochs, model, seed, variant}``; finished runs are skipped, so the same command resumes.
A record whose stored protocol (``config``) differs from the current one stops the sweep instead of
being mixed in (use another ``--out``). A run in progress saves its training state at most once a
minute to ``<out>/.partial/<name>.pt`` (``fit(checkpoint=)``, git-ignored); a killed sweep started
again continues that run from its last saved epoch with the same result as an uninterrupted run.

Protocol (PROTOCOLS.md A; profile "paper"): official scaffold split, OGB mol-example backbones
(``OGBMolGNN``: 5 layers, width 300, dropout 0.5, JK last, mean readout), Adam lr 1e-3, batch 32
(training batches shuffled by a generator seeded with the run's seed; a final batch of one graph is
dropped because batch norm cannot train on it), 100 epochs, BCE with logits, ROC-AUC by ogb's
Evaluator every epoch; the reported number is the test ROC-AUC at the epoch of best validation
ROC-AUC (earliest on ties). Seeds 0, 1, 2 (the paper: 3 seeds). Every run sets
``torch.manual_seed``, ``numpy.random.seed`` and ``random.seed`` to its seed before building the
model, and ``torch.set_num_threads(--threads)``, so a run repeats exactly on the same CPU build.

HMA settings. The paper searched m1 (queue) in {1, 2, 3} x batch size and m2 (synthetic slots per
class) in {8, 16, 32, 64} but published no per-dataset choice for Table 3, so one setting is used
everywhere: label width d_l = 16 (token 300 + 16 = 316, divisible by the 4 heads), m1 = 96 = 3 x 32,
m2 = 32, momentum encoder (0.999, with the library's lambda_t warm-up), attention dropout 0.1
(library defaults otherwise). All parameters train at the backbone's Adam lr (the paper: "all
hyperparameters kept the same as the original settings"). "hma-lr0.1" trains the HMA layer's
parameters at 0.1 x lr (``HMAModel.param_groups``): at 1e-3 its attention blocks keep the training
loss far above the backbone's (benchmarks/results/table3/diagnostics/).
Inference: ``--inference isolated`` (default, the library default: each test graph gets one answer
independent of its evaluation batch) selects the epoch and gives the main number; for variants with
the across-batch block (hma, abd, abd+syn, abd+rma) the record also holds the test ROC-AUC at the
same selected weights under the other mode (``extra["test_batch"]`` / ``extra["test_isolated"]``;
"batch" is the paper's inference).

Profile "quick" (CPU smoke run, not a result): 2 epochs, 2 layers, width 32, m2 = 8, the first 256
training graphs (validation and test complete).

Table (``TABLE.md`` next to the records, rebuilt after every invocation from *all* finished records
in the folder, whatever slice the invocation ran): rows model (+variant) in the paper's order, columns per
data set "ours" = mean +- sample std (ddof 1) over seeds of test ROC-AUC x 100 with n, next to the
paper's mean +- std; avg = mean over the data sets of the per-data-set means (only when every data
set has a number). Second table: for each variant row, per seed d_s = ours(variant, s) -
ours(plain, s) on the seeds both have, shown as mean_s d_s with the number of seeds where d_s > 0;
next to it the paper's difference of means. Missing cells are "-". ``PAIRED.png`` beside it draws
the second table seed by seed (main inference mode): every d_s as a dot labelled with its seed,
the mean as a bar and the paper's difference as a cross, one panel per data set.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hma_graph  # noqa: E402  (DGL shim first)
import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.common import RESULTS, machine, markdown_table, write_text_atomic  # noqa: E402
from hma_graph.metrics import summarize  # noqa: E402
from hma_graph.sweep import aggregate, load_record, load_records, record_path, run_name, run_sweep  # noqa: E402

DATASETS = ("ogbg-molbace", "ogbg-molbbbp", "ogbg-molhiv")
MODELS = {"gcn": ("gcn", False), "gcn-v": ("gcn", True), "gin": ("gin", False), "gin-v": ("gin", True)}
VARIANTS = ("plain", "hma", "hma-lr0.1", "rma", "abd", "abd+syn", "abd+rma", "param")
# benchmark-only variants: (hma_graph.apply variant, factor on the Adam lr for the HMA layer's parameters)
LR_VARIANTS = {"hma-lr0.1": ("hma", 0.1)}
INFERENCE_MODES = ("isolated", "batch")
PAPER_TABLES = Path(__file__).resolve().parent / "paper_tables.json"


def library_variant(variant: str) -> Tuple[str, Optional[float]]:
    """'hma-lr0.1' -> ('hma', 0.1); 'abd' -> ('abd', None)."""
    return LR_VARIANTS.get(variant, (variant, None))


# variants with the across-batch block: their prediction depends on the inference mode
ABD_VARIANTS = tuple(v for v in VARIANTS if library_variant(v)[0] in ("hma", "abd", "abd+syn", "abd+rma"))


@dataclass(frozen=True)
class Profile:
    """Everything that defines a run besides its spec (dataset, epochs, model, variant, seed)."""

    name: str
    epochs: int
    num_layers: int
    emb_dim: int
    drop_ratio: float
    batch_size: int
    lr: float
    label_dim: int
    memory_size: int
    slots_per_class: int
    train_limit: Optional[int] = None  # first N training graphs (quick profile only)
    momentum_warmup: bool = True  # hma_graph.apply's lambda_t ramp of the momentum copy (its default)


PROFILES = {
    "paper": Profile("paper", epochs=100, num_layers=5, emb_dim=300, drop_ratio=0.5, batch_size=32,
                     lr=1e-3, label_dim=16, memory_size=96, slots_per_class=32),
    "quick": Profile("quick", epochs=2, num_layers=2, emb_dim=32, drop_ratio=0.5, batch_size=32,
                     lr=1e-3, label_dim=16, memory_size=96, slots_per_class=8, train_limit=256),
}


# ----------------------------------------------------------------------------------- names
def dataset_name(name: str) -> str:
    """'bace' / 'molbace' / 'ogbg-molbace' -> 'ogbg-molbace'."""
    full = name if name.startswith("ogbg-") else ("ogbg-" + name if name.startswith("mol") else "ogbg-mol" + name)
    if full not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose from {', '.join(DATASETS)} (or bace, bbbp, hiv)")
    return full


def short(dataset: str) -> str:
    return dataset.replace("ogbg-mol", "")


def row_label(model: str, variant: str) -> str:
    """('gin-v', 'hma') -> 'GIN-v+HMA'; ('gcn', 'plain') -> 'GCN'; ('gin', 'abd+syn') -> 'GIN+ABD+SYN'."""
    base = model.split("-")[0].upper() + ("-v" if model.endswith("-v") else "")
    if variant in LR_VARIANTS:
        lib, factor = LR_VARIANTS[variant]
        return f"{base}+{lib.upper()} (HMA lr x{factor:g})"
    return base if variant == "plain" else f"{base}+{variant.upper()}"


def _order(items: Iterable[str], canonical: Sequence[str]) -> List[str]:
    items = set(items)
    return [c for c in canonical if c in items] + sorted(items - set(canonical))


# ----------------------------------------------------------------------------------- pure table logic
def collect(records: Sequence[Mapping], value: str = "test") -> Dict[Tuple[str, str, str], Dict[int, float]]:
    """{(dataset, model, variant): {seed: value}} from run records.

    ``value`` is a record key ("test") or "extra.<key>" (e.g. "extra.test_batch"); records without
    it are skipped. Grouping uses ``hma_graph.sweep.aggregate``; two groups that differ only in
    another spec key (e.g. epochs) but share (dataset, model, variant) are an error: they would be
    mixed in one cell.
    """
    def get(r):
        if value.startswith("extra."):
            return (r.get("extra") or {}).get(value[len("extra."):])
        return r.get(value)

    rows = [{"spec": r["spec"], "v": get(r)} for r in records if get(r) is not None]
    out: Dict[Tuple[str, str, str], Dict[int, float]] = {}
    for key, g in aggregate(rows, value="v").items():
        spec = dict(key)
        cell = (spec["dataset"], spec["model"], spec["variant"])
        if cell in out:
            raise ValueError(f"records for {cell} come from different protocols ({spec}); "
                             "keep one protocol per results folder")
        out[cell] = dict(zip(g["seeds"], g["values"]))
    return out


def format_cell(per_seed: Optional[Mapping[int, float]]) -> str:
    """ROC-AUC in % with two decimals: 'mean ± std (n=k)'; one seed: 'mean (n=1)'; none: '-'."""
    if not per_seed:
        return "-"
    vals = [100.0 * v for v in per_seed.values()]
    mean, std = summarize(vals)
    return f"{mean:.2f} (n=1)" if len(vals) == 1 else f"{mean:.2f} ± {std:.2f} (n={len(vals)})"


def format_paper(entry: Optional[Sequence[float]]) -> str:
    return "-" if not entry else f"{entry[0]:.2f} ± {entry[1]:.2f}"


def paired_differences(variant: Mapping[int, float], plain: Mapping[int, float]) -> Optional[dict]:
    """Per-seed differences variant - plain (percentage points) on the seeds both have.

    Returns {"seeds", "diffs", "mean", "wins" (diffs > 0), "n"}, or None without a common seed.
    """
    seeds = sorted(set(variant) & set(plain))
    if not seeds:
        return None
    diffs = [100.0 * (variant[s] - plain[s]) for s in seeds]
    return {"seeds": seeds, "diffs": diffs, "mean": float(np.mean(diffs)),
            "wins": sum(d > 0 for d in diffs), "n": len(seeds)}


def format_diff(d: Optional[Mapping]) -> str:
    """'+1.23 (2/3 seeds up)' or '-'."""
    return "-" if d is None else f"{d['mean']:+.2f} ({d['wins']}/{d['n']} seeds up)"


def _mean_of_means(cells: Sequence[Optional[Mapping[int, float]]]) -> str:
    if not cells or any(not c for c in cells):
        return "-"
    return f"{np.mean([100.0 * np.mean(list(c.values())) for c in cells]):.2f}"


def _paper_avg(entries: Sequence[Optional[Sequence[float]]]) -> str:
    if not entries or any(not e for e in entries):
        return "-"
    return f"{np.mean([e[0] for e in entries]):.2f}"


def main_table(cells: Mapping, paper_rows: Mapping, datasets: Sequence[str], models: Sequence[str],
               variants: Sequence[str]) -> str:
    """Markdown: one row per (model, variant); per data set 'ours' and 'paper' columns (+ avg)."""
    header = ["model"] + [f"{short(d)} {w}" for d in datasets for w in ("ours", "paper")]
    if len(datasets) > 1:
        header += ["avg ours", "avg paper"]
    rows = []
    for m in models:
        for v in variants:
            label = row_label(m, v)
            paper = paper_rows.get(label, {})
            ours_cells = [cells.get((d, m, v)) for d in datasets]
            if v in LR_VARIANTS and not any(ours_cells):  # not a paper row: only shown when measured
                continue
            row = [label]
            for d, c in zip(datasets, ours_cells):
                row += [format_cell(c), format_paper(paper.get(d))]
            if len(datasets) > 1:
                row += [_mean_of_means(ours_cells), _paper_avg([paper.get(d) for d in datasets])]
            rows.append(row)
    return markdown_table(header, rows)


def paired_rows(cells: Mapping, paper_rows: Mapping, datasets: Sequence[str], models: Sequence[str],
                variants: Sequence[str], other_cells: Optional[Mapping] = None,
                other_mode: Optional[str] = None) -> List[Tuple[str, Dict[str, Tuple[Optional[dict], Optional[float]]]]]:
    """Per non-plain variant: ``(label, {dataset: (paired_differences or None, paper diff or None)})``.

    The paired difference is variant - plain on the seeds both have (percentage points); the paper's
    is the difference of its printed means. With ``other_cells`` (variant values under the other
    inference mode), a second row per variant that has them, labelled '[<other_mode> inference]'.
    Learning-rate variants appear only where measured. Rows in table order.
    """
    rows = []
    for m in models:
        base = row_label(m, "plain")
        for v in variants:
            if v == "plain":
                continue
            label = row_label(m, v)
            if v in LR_VARIANTS and not any((d, m, v) in cells for d in datasets):
                continue
            sources = [(f"{label} − {base}", cells)]
            if other_cells is not None and any((d, m, v) in other_cells for d in datasets):
                sources.append((f"{label} [{other_mode} inference] − {base}", other_cells))
            for text, src in sources:
                per_dataset = {}
                for d in datasets:
                    plain, var = cells.get((d, m, "plain")), src.get((d, m, v))
                    pv, pb = paper_rows.get(label, {}).get(d), paper_rows.get(base, {}).get(d)
                    per_dataset[d] = (paired_differences(var, plain) if plain and var else None,
                                      pv[0] - pb[0] if pv and pb else None)
                rows.append((text, per_dataset))
    return rows


def diff_table(cells: Mapping, paper_rows: Mapping, datasets: Sequence[str], models: Sequence[str],
               variants: Sequence[str], other_cells: Optional[Mapping] = None,
               other_mode: Optional[str] = None) -> str:
    """Markdown of :func:`paired_rows`: mean paired difference with seeds up, next to the paper's."""
    header = ["comparison"] + [f"{short(d)} {w}" for d in datasets for w in ("ours", "paper")]
    rows = []
    for text, per_dataset in paired_rows(cells, paper_rows, datasets, models, variants, other_cells, other_mode):
        row = [text]
        for d in datasets:
            ours, paper = per_dataset[d]
            row += [format_diff(ours), "-" if paper is None else f"{paper:+.2f}"]
        rows.append(row)
    return markdown_table(header, rows)


def plot_paired(rows: Sequence[Tuple[str, Mapping]], datasets: Sequence[str], path: Path):
    """One panel per data set: each row's per-seed differences (dots, labelled by seed), their mean
    (bar) and the paper's difference (cross), in percentage points, with 0 marked. Writes ``path``
    (PNG, atomically) and returns the figure. Rows without any measured difference are left out."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [(t, r) for t, r in rows if any(r[d][0] for d in datasets)]
    if not rows:
        raise ValueError("no variant has a paired difference to plot")
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 0.45 * len(rows) + 1.6),
                             sharey=True, squeeze=False)
    for ax, d in zip(axes[0], datasets):
        ax.axvline(0.0, color="0.6", lw=0.8)
        for y, (text, per_dataset) in enumerate(rows):
            ours, paper = per_dataset[d]
            if ours:
                ax.scatter(ours["diffs"], [y] * ours["n"], s=18, color="C0", zorder=3,
                           label="ours, one seed" if y == 0 else None)
                for x, s in zip(ours["diffs"], ours["seeds"]):
                    ax.annotate(str(s), (x, y), xytext=(0, 4), textcoords="offset points", fontsize=6,
                                ha="center", color="C0")
                ax.plot([ours["mean"]] * 2, [y - 0.3, y + 0.3], color="C0", lw=2)
            if paper is not None:
                ax.scatter([paper], [y], marker="x", color="C3", zorder=4)
        ax.set_title(short(d))
        ax.set_xlabel("variant − backbone (ROC-AUC points)")
        ax.grid(axis="x", lw=0.3)
    axes[0][0].set_yticks(range(len(rows)))
    axes[0][0].set_yticklabels([t for t, _ in rows], fontsize=7)
    axes[0][0].invert_yaxis()
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], marker="o", ls="", color="C0", label="ours, per seed (number = seed)"),
               Line2D([], [], color="C0", lw=2, label="ours, mean over seeds"),
               Line2D([], [], marker="x", ls="", color="C3", label="paper, difference of means")]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=130)
    os.replace(tmp, path)
    plt.close(fig)
    return fig


def describe_protocol(records: Sequence[Mapping]) -> dict:
    """Facts for the caption, read from the records: profile(s), epochs per data set, seeds,
    inference mode(s), backbone size and HMA settings."""
    def values(f):
        return sorted({f(r) for r in records if f(r) is not None}, key=str)

    cfg = lambda r: r.get("config", {})  # noqa: E731
    return {
        "profiles": values(lambda r: cfg(r).get("profile")),
        "epochs": {short(d): values(lambda r, d=d: r["spec"]["epochs"] if r["spec"]["dataset"] == d else None)
                   for d in _order({r["spec"]["dataset"] for r in records}, DATASETS)},
        "seeds": values(lambda r: r["spec"]["seed"]),
        "inference": values(lambda r: cfg(r).get("inference") if r["spec"]["variant"] != "plain" else None),
        "backbone": values(lambda r: f"{cfg(r).get('num_layers')} layers x {cfg(r).get('emb_dim')}, "
                                     f"dropout {cfg(r).get('drop_ratio')}, batch {cfg(r).get('batch_size')}, "
                                     f"Adam lr {cfg(r).get('lr')}"
                                     + (f", first {cfg(r)['train_limit']} training graphs"
                                        if cfg(r).get("train_limit") else "")),
        "hma": values(lambda r: None if r["spec"]["variant"] == "plain" else
                      f"d_l {cfg(r).get('label_dim')}, m1 {cfg(r).get('memory_size')}, "
                      f"m2 {cfg(r).get('slots_per_class')}/class, momentum warm-up "
                      f"{'on' if cfg(r).get('momentum_warmup') else 'off'}"),
    }


def caption(protocol: Mapping) -> str:
    j = lambda xs: ", ".join(map(str, xs)) or "-"  # noqa: E731
    epochs = "; ".join(f"{d} {j(e)}" for d, e in protocol["epochs"].items()) or "-"
    mode = j(protocol["inference"])
    return (f"Table 3, profile {j(protocol['profiles'])}: test ROC-AUC (%) on the official scaffold split at "
            f"the epoch of best validation ROC-AUC; ours = mean ± sample std over seeds (n = seeds), "
            f"seeds {j(protocol['seeds'])}; epochs: {epochs}; backbone {j(protocol['backbone'])}; "
            f"HMA {j(protocol['hma'])}; main number with HMA inference mode: {mode} "
            f"(paper: batch inference, 3 seeds, 100 epochs).")


def _table_inputs(records, datasets=None, models=None, variants=None):
    """Rows, columns and cells of the tables: (datasets, models, variants, cells, protocol,
    other inference mode or None, cells under the other mode or None)."""
    datasets = _order(datasets or {r["spec"]["dataset"] for r in records}, DATASETS)
    models = _order(models or {r["spec"]["model"] for r in records}, list(MODELS))
    variants = _order(variants or {r["spec"]["variant"] for r in records}, VARIANTS)
    protocol = describe_protocol(records)
    modes = protocol["inference"]
    other = None
    if len(modes) == 1:
        other = "batch" if modes[0] == "isolated" else "isolated"
    other_cells = collect(records, f"extra.test_{other}") if other else None
    return datasets, models, variants, collect(records, "test"), protocol, other, other_cells


def paired_rows_of(records: Sequence[Mapping]):
    """:func:`paired_rows` of every variant in the records under the main inference mode (the
    plot's rows), with the paper's differences, and the data sets."""
    datasets, models, variants, cells, _, _, _ = _table_inputs(records)
    return paired_rows(cells, load_paper_rows(), datasets, models, variants), datasets


def render_tables(records: Sequence[Mapping], paper_rows: Mapping, datasets: Optional[Sequence[str]] = None,
                  models: Optional[Sequence[str]] = None, variants: Optional[Sequence[str]] = None) -> str:
    """The whole TABLE.md text from run records (pure). Defaults: what the records contain."""
    datasets, models, variants, cells, protocol, other, other_cells = _table_inputs(
        records, datasets, models, variants)
    parts = [f"# Table 3: OGB molecules, ROC-AUC (%)\n\n{caption(protocol)}\n",
             main_table(cells, paper_rows, datasets, models, variants)]
    if len(datasets) > 1:
        parts.append("\navg = mean of the per-data-set means over the columns shown; 'avg paper' is "
                     "recomputed from the paper's printed means (its own avg column disagrees for "
                     "GCN+HMA 75.85, GCN-v+HMA 72.73 and GIN+HMA 74.38).")
    if other_cells:
        parts += [f"\n## Variants with the across-batch block under {other} inference "
                  "(same selected weights)\n",
                  main_table(other_cells, paper_rows if other == "batch" else {}, datasets, models, [v for v in variants if v in ABD_VARIANTS])]
    parts += ["\n## Variant minus backbone on the same seeds (percentage points)\n\n"
              "ours: mean over seeds of the per-seed difference, with the number of seeds where the "
              "variant is higher; paper: difference of the printed means.\n",
              diff_table(cells, paper_rows, datasets, models, variants, other_cells, other)]
    return "\n".join(parts) + "\n"


def load_paper_rows(path: Path = PAPER_TABLES) -> dict:
    import json

    return json.loads(Path(path).read_text())["table3"]["rows"]


# ----------------------------------------------------------------------------------- running
class DataMissingError(RuntimeError):
    """A data set's raw files are neither built locally, nor in the mirror, nor downloadable."""


def load_data(name: str):
    """(graphs, labels (n, T) float32, split) of one data set, with a clear error when data are missing."""
    from hma_graph.data.fetch import ChecksumError
    from hma_graph.data.molecules import SPECS, load_molecule_dataset

    try:
        ds, split = load_molecule_dataset(name)
    except (RuntimeError, FileNotFoundError, OSError, ChecksumError) as e:
        raise DataMissingError(
            f"{name}: could not load its data ({type(e).__name__}: {e}). Set HMA_GRAPH_MIRROR to the "
            f"offline data mirror (a folder holding {SPECS[name].source}) or make the official "
            "download reachable; built data live under HMA_GRAPH_DATA.") from e
    return list(ds.graphs), ds.labels.to(torch.float32), split


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)


def protocol_config(profile: Profile, inference: str) -> dict:
    """What a record's protocol must match to share a results folder (threads etc. excluded)."""
    return {"profile": profile.name, **{k: v for k, v in asdict(profile).items() if k not in ("name", "epochs")},
            "inference": inference}


def _inputs(g):
    return g, g.ndata["feat"], g.edata["feat"]


def build_model(spec: Mapping, profile: Profile, inference: str, num_tasks: int = 1):
    from hma_graph.models.ogb_mol import OGBMolGNN

    gnn_type, virtual = MODELS[spec["model"]]
    model = OGBMolGNN(num_tasks=num_tasks, num_layers=profile.num_layers, emb_dim=profile.emb_dim,
                      gnn_type=gnn_type, virtual_node=virtual, drop_ratio=profile.drop_ratio)
    if spec["variant"] != "plain":
        model = hma_graph.apply(model, num_tasks, variant=library_variant(spec["variant"])[0],
                                label_dim=profile.label_dim,
                                memory_size=profile.memory_size, slots_per_class=profile.slots_per_class,
                                inference=inference, momentum_warmup=profile.momentum_warmup)
    return model


def run_one(spec: Mapping, profile: Profile, inference: str, data, threads: int,
            progress: bool = False, checkpoint_dir: Optional[Path] = None) -> dict:
    """Train one (dataset, epochs, model, variant, seed) run; return its record (see fit).

    ``checkpoint_dir``: where the run saves its training state to resume from (``fit(checkpoint=)``).
    """
    from hma_graph.data.loader import GraphLoader
    from hma_graph.metrics import compute_metric
    from hma_graph.train import fit, predict

    torch.set_num_threads(threads)
    seed = int(spec["seed"])
    graphs, labels, split = data
    train_idx = split["train"] if profile.train_limit is None else split["train"][:profile.train_limit]
    bs = profile.batch_size
    train = GraphLoader(graphs, labels, bs, shuffle=True, seed=seed, drop_last_if_single=True, indices=train_idx)
    valid = GraphLoader(graphs, labels, bs, indices=split["valid"])
    test = GraphLoader(graphs, labels, bs, indices=split["test"])
    seed_everything(seed)
    model = build_model(spec, profile, inference, num_tasks=labels.shape[1])

    extra = None
    if spec["variant"] in ABD_VARIANTS:
        other = "batch" if inference == "isolated" else "isolated"

        def other_mode_test(m):
            m.hma.inference = other
            try:
                return compute_metric("rocauc", *predict(m, test, _inputs))
            finally:
                m.hma.inference = inference

        extra = {f"test_{other}": other_mode_test}
    factor = library_variant(spec["variant"])[1]
    hma_lr = None if factor is None else profile.lr * factor
    rec = fit(model, train, valid, test, metric="rocauc", epochs=int(spec["epochs"]), lr=profile.lr,
              loss="bce", inputs=_inputs, progress=progress, desc=_short_name(spec), extra_eval=extra,
              hma_lr=hma_lr,
              checkpoint=None if checkpoint_dir is None else Path(checkpoint_dir) / f"{run_name(spec)}.pt")
    rec["config"] = {**protocol_config(profile, inference), "threads": threads,
                     "train_graphs": len(train_idx), "valid_graphs": len(split["valid"]),
                     "test_graphs": len(split["test"]),
                     "params": sum(p.numel() for p in model.parameters() if p.requires_grad)}
    if hma_lr is not None:
        rec["config"]["hma_lr"] = hma_lr
    rec["machine"] = machine()
    return rec


def _short_name(spec: Mapping) -> str:
    return f"{short(spec['dataset'])}/{row_label(spec['model'], spec['variant'])}/s{spec['seed']}"


def make_specs(datasets, models, variants, seeds, epochs_for) -> List[dict]:
    """Order: data set, seed, model, variant, so that paired runs finish close together."""
    return [{"dataset": d, "epochs": epochs_for(d), "model": m, "variant": v, "seed": s}
            for d in datasets for s in seeds for m in models for v in variants]


# protocol keys that only HMA variants depend on: a plain run's record stays valid when they change
HMA_ONLY_KEYS = ("inference", "label_dim", "memory_size", "slots_per_class", "momentum_warmup")


def check_protocol(specs: Sequence[Mapping], out_dir: Path, expected: Mapping) -> None:
    """Stop when an existing record of these specs was made under a different protocol."""
    for spec in specs:
        rec = load_record(record_path(out_dir, spec))
        if rec is None:
            continue
        have = rec.get("config", {})
        diff = {k: (have.get(k), v) for k, v in expected.items()
                if have.get(k) != v and not (k in HMA_ONLY_KEYS and spec["variant"] == "plain")}
        if diff:
            raise SystemExit(f"{record_path(out_dir, spec)} was made with a different protocol "
                             f"(key: (stored, now)) {diff}; use another --out or remove the old records")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="paper")
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), help="ogbg-molbace/bace, bbbp, hiv")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["plain", "hma"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, help="override the profile's epochs for every data set")
    ap.add_argument("--hiv-epochs", type=int, help="override the epochs for ogbg-molhiv only")
    ap.add_argument("--inference", choices=INFERENCE_MODES, default="isolated",
                    help="HMA inference mode for selection and the main number (the other is recorded too)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--out", type=Path, help="records folder (default benchmarks/results/table3/<profile>)")
    ap.add_argument("--table-only", action="store_true", help="only rebuild TABLE.md from existing records")
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)
    try:
        args.datasets = [dataset_name(d) for d in args.datasets]
    except ValueError as e:
        ap.error(str(e))
    for k in ("epochs", "hiv_epochs", "threads"):
        if getattr(args, k) is not None and getattr(args, k) < 1:
            ap.error(f"--{k.replace('_', '-')} must be >= 1")
    if len(set(args.seeds)) != len(args.seeds):
        ap.error("--seeds has duplicates")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    profile = PROFILES[args.profile]
    out = args.out or RESULTS / "table3" / profile.name
    torch.set_num_threads(args.threads)

    def epochs_for(d):
        if d == "ogbg-molhiv" and args.hiv_epochs:
            return args.hiv_epochs
        return args.epochs or profile.epochs

    specs = make_specs(args.datasets, args.models, args.variants, args.seeds, epochs_for)
    if not args.table_only:
        check_protocol(specs, out, protocol_config(profile, args.inference))
        todo = {s["dataset"] for s in specs if load_record(record_path(out, s)) is None}
        data = {}
        for d in _order(todo, DATASETS):  # all data up front: a missing file fails before hours of runs
            t0 = time.perf_counter()
            data[d] = load_data(d)
            print(f"{d}: {len(data[d][0])} graphs, split "
                  f"{ {k: len(v) for k, v in data[d][2].items()} } ({time.perf_counter() - t0:.1f} s)")
        run_sweep(specs, lambda spec: run_one(spec, profile, args.inference, data[spec["dataset"]],
                                              args.threads, progress=not args.no_progress,
                                              checkpoint_dir=out / ".partial"),
                  out, progress=not args.no_progress, desc=f"table3 {profile.name}")
    # TABLE.md always shows every finished record in the folder (not only this invocation's slice),
    # so sweeps split over several processes or commands never leave a partial table behind.
    records = load_records(out)
    if not records:
        raise SystemExit(f"no finished records in {out}")
    text = render_tables(records, load_paper_rows())
    write_text_atomic(out / "TABLE.md", text)
    rows, datasets = paired_rows_of(records)
    if any(r[d][0] for _, r in rows for d in datasets):
        plot_paired(rows, datasets, out / "PAIRED.png")
    print("\n" + text)
    print(f"wrote {out / 'TABLE.md'} ({len(records)} records)")
    return {"out": out, "records": records, "table": text}


if __name__ == "__main__":
    try:
        main()
    except DataMissingError as e:
        raise SystemExit(f"error: {e}")
