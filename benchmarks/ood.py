"""OOD benchmarks: TU size shift (Table 6), SentiGraph degree shift (Table 5), Spurious-Motif.

    python benchmarks/ood.py --suite tu                          # Table 6: NCI1 NCI109 PROTEINS DD
    python benchmarks/ood.py --suite sst --raw-dir DIR           # Table 5: Graph-SST5 Graph-Twitter
    python benchmarks/ood.py --suite spmotif --datasets SPMotif-0.33 SPMotif-0.9
    python benchmarks/ood.py --suite tu --profile quick --datasets PROTEINS --methods erm hma --seeds 0
    python benchmarks/ood.py --suite tu --table-only             # rewrite TABLE.md from the records

Runs (hma_graph/sweep.py conventions): a run is ``{"suite", "dataset", "method", "seed"}``, its
record ``benchmarks/results/ood/<suite>-<profile>/<name>.json`` (``--out`` to change; an
``--epochs`` override appends ``-e<N>`` so it never mixes with the profile's records). Re-running
the same command skips every finished run; a run that was in progress continues from its last
saved epoch (``<out>/.partial/<name>.pt``, ``fit(checkpoint=)``). After a sweep (or with ``--table-only``) ``TABLE.md``
is written next to the records from ALL records found there.

Protocol, per suite (PROTOCOLS.md B, C, F; all: batch 32, Adam lr 1e-3, test at the best
validation epoch; early stopping as CIGA's code: only epochs with 0-based index >= ``warmup`` count
towards ``patience`` epochs without validation improvement, so a run lasts at least
warmup + patience epochs; ``fit(..., count_warmup=False)``):

* ``tu`` (Table 6): size shift of :func:`hma_graph.data.tu.tu_size_shift` (the validation draw
  depends on the seed); one-hot node labels; 3 layers, width 32, dropout 0.3, GCN with mean readout
  (PROTEINS: GIN with max readout); metric and selection: MCC.
* ``sst`` (Table 5): :func:`hma_graph.data.sentigraph.sentigraph_degree_shift` on DIG's raw files in
  ``--raw-dir``; GCN 3 x 128, dropout 0.5, mean readout; accuracy; 5 seeds.
* ``spmotif``: :func:`hma_graph.data.spmotif.spurious_motif_splits` generated from the seed, bias
  from the dataset name ``SPMotif-<b>``; GIN 3 x 32, dropout 0, mean readout (CIGA's defaults;
  CIGA's own scripts use GCN here); accuracy. Sizes from the profile (paper: DIR's 9000/3000/6000
  with large test bases; quick: 800/400/400 with small test bases, i.e. bias shift only).

GCN backbones get one self-loop per node, added per graph before batching (existing loops removed
first, as PyG's GCNConv does); GIN backbones get none.

Methods: ``erm irm vrex ibirm cigav1 cigav2 hma`` (:mod:`hma_graph.objectives`). IRM (squared
IRMv1 penalty), V-REx and IB-IRM split each batch at random into 2 environments; weights
lambda = 1 and IB gamma = 1 (CIGA's ``main.py`` defaults: ``--irm_p 1``, and its IB-IRM adds
``ib / irm_p`` inside the term scaled by ``irm_p``, i.e. gamma = 1). CIGA r / alpha / beta:
:func:`hma_graph.objectives.ciga_hparams` for TU and SentiGraph, :data:`SPMOTIF_CIGA` (CIGA's
``scripts/spmotif-struc.sh``) for Spurious-Motif. HMA = ``hma_graph.apply`` on the ERM backbone,
trained with ERM; its settings per suite are the paper's reference settings (TU: PROTEINS'
label width 16, m1 = 128, m2 = 32, used for all four TU sets and for Spurious-Motif; SentiGraph:
Twitter's 32 / 192 / 48, used for both), 4 heads. HMA is scored with isolated inference (the
default; ``test``) and with the paper's batch inference (``test_batch_inference``).

Record: ``config`` (everything above), ``history`` (per epoch: train loss, objective logs,
valid/test metric, train and eval seconds), ``selected_epoch``, ``valid``/``test`` there,
``wall_s`` (training run incl. evaluation), ``epoch_s_mean``, sizes, parameter count, machine.

Table (pure functions of records, see :func:`render_table`): rows = methods, per dataset our
"mean ± std (n)" over seeds next to the paper's number, the average over the datasets, and the
cost relative to ERM: the median over (dataset, seed) pairs present for both of
wall_s(method) / wall_s(ERM) per run and per epoch.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hma_graph  # noqa: E402  (DGL shim first)
import dgl  # noqa: E402
import torch  # noqa: E402

from benchmarks.common import RESULTS, machine, markdown_table, write_text_atomic  # noqa: E402
from hma_graph.data.loader import GraphLoader  # noqa: E402
from hma_graph.metrics import compute_metric  # noqa: E402
from hma_graph.models import GNNClassifier  # noqa: E402
from hma_graph.models.ciga import CIGAModel  # noqa: E402
from hma_graph.objectives import ciga_hparams, make_objective  # noqa: E402
from hma_graph.sweep import aggregate, load_records, run_name, run_sweep  # noqa: E402
from hma_graph.train import fit, predict  # noqa: E402

OUT_ROOT = RESULTS / "ood"
PAPER_TABLES = Path(__file__).resolve().parent / "paper_tables.json"

METHODS = ("erm", "irm", "vrex", "ibirm", "cigav1", "cigav2", "hma")
LABELS = {"erm": "ERM", "irm": "IRM", "vrex": "V-REx", "ibirm": "IB-IRM", "cigav1": "CIGAv1",
          "cigav2": "CIGAv2", "hma": "HMA"}
BATCH_ROW = "HMA, batch inference (paper's mode)"
PENALTIES = {"erm": {}, "irm": {"penalty_weight": 1.0}, "vrex": {"penalty_weight": 1.0},
             "ibirm": {"penalty_weight": 1.0, "ib_weight": 1.0}}

#: CIGA on Spurious-Motif (CIGA's scripts/spmotif-struc.sh): bias -> ratio, v1 alpha, v2 alpha, beta
SPMOTIF_CIGA = {0.33: {"ratio": 0.25, "v1_alpha": 8.0, "v2_alpha": 8.0, "v2_beta": 1.0},
                0.6: {"ratio": 0.25, "v1_alpha": 0.5, "v2_alpha": 4.0, "v2_beta": 2.0},
                0.9: {"ratio": 0.25, "v1_alpha": 4.0, "v2_alpha": 4.0, "v2_beta": 2.0}}

SUITES = {
    "tu": {"title": "Table 6: TU size shift (train on small graphs, test on large)",
           "datasets": ("NCI1", "NCI109", "PROTEINS", "DD"), "default": ("NCI1", "NCI109", "PROTEINS", "DD"),
           "metric": "mcc", "seeds": (0, 1, 2), "paper": "table6"},
    "sst": {"title": "Table 5: SentiGraph degree shift",
            "datasets": ("Graph-SST5", "Graph-Twitter"), "default": ("Graph-SST5", "Graph-Twitter"),
            "metric": "accuracy", "seeds": (0, 1, 2, 3, 4), "paper": "table5"},
    "spmotif": {"title": "Spurious-Motif (base spuriously correlated with the label in training)",
                "datasets": None, "default": ("SPMotif-0.9",), "metric": "accuracy", "seeds": (0, 1, 2),
                "paper": None},
}

BACKBONES = {  # suite -> GNNClassifier arguments (tu: PROTEINS overrides conv/readout)
    "tu": {"hidden": 32, "num_layers": 3, "conv": "gcn", "readout": "mean", "dropout": 0.3},
    "sst": {"hidden": 128, "num_layers": 3, "conv": "gcn", "readout": "mean", "dropout": 0.5},
    "spmotif": {"hidden": 32, "num_layers": 3, "conv": "gin", "readout": "mean", "dropout": 0.0},
}
# momentum_warmup: hma_graph.apply's default, written out so that every record states it
HMA_SETTINGS = {"tu": {"label_dim": 16, "memory_size": 128, "slots_per_class": 32, "num_heads": 4,
                       "momentum_warmup": True},
                "sst": {"label_dim": 32, "memory_size": 192, "slots_per_class": 48, "num_heads": 4,
                        "momentum_warmup": True},
                "spmotif": {"label_dim": 16, "memory_size": 128, "slots_per_class": 32, "num_heads": 4,
                            "momentum_warmup": True}}

PROFILES = {
    "paper": {"epochs": 400, "warmup": 20, "patience": 5, "batch_size": 32, "lr": 1e-3,
              "spmotif_sizes": (9000, 3000, 6000), "spmotif_test_base": "large"},
    "quick": {"epochs": 30, "warmup": 10, "patience": 5, "batch_size": 32, "lr": 1e-3,
              "spmotif_sizes": (800, 400, 400), "spmotif_test_base": "small"},
}

SENTIGRAPH_FILES = ("node_features.pkl", "edge_index.txt", "node_indicator.txt", "graph_labels.txt")


# ----------------------------------------------------------------------------- datasets
def spmotif_bias(name: str) -> float:
    """Bias b of a dataset name ``SPMotif-<b>`` (b in (0, 1])."""
    prefix = "SPMotif-"
    if not isinstance(name, str) or not name.startswith(prefix):
        raise ValueError(f"unknown Spurious-Motif dataset {name!r}: expected 'SPMotif-<bias>', "
                         "e.g. SPMotif-0.33, SPMotif-0.6, SPMotif-0.9")
    try:
        b = float(name[len(prefix):])
    except ValueError:
        raise ValueError(f"unknown Spurious-Motif dataset {name!r}: {name[len(prefix):]!r} is not a bias") from None
    if not 0.0 < b <= 1.0:
        raise ValueError(f"Spurious-Motif bias must be in (0, 1], got {b} in {name!r}")
    return b


def check_datasets(suite: str, datasets: Sequence[str]) -> List[str]:
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; choose one of {sorted(SUITES)}")
    known = SUITES[suite]["datasets"]
    for d in datasets:
        if known is None:
            spmotif_bias(d)
        elif d not in known:
            raise ValueError(f"unknown dataset {d!r} for suite {suite!r}; choose from {list(known)}")
    return list(datasets)


def missing_sentigraph_files(raw_dir, datasets: Sequence[str]) -> List[Path]:
    """The required DIG raw files (``<name>_<suffix>``) that ``raw_dir`` lacks."""
    raw = Path(raw_dir).expanduser()
    return [raw / f"{d}_{s}" for d in datasets for s in SENTIGRAPH_FILES if not (raw / f"{d}_{s}").is_file()]


def _gcn_ready(graphs) -> list:
    """Per-graph copies with exactly one self-loop per node (GraphConv adds none itself)."""
    return [dgl.add_self_loop(dgl.remove_self_loop(g)) for g in graphs]


@lru_cache(maxsize=4)
def _tu_graphs(name: str, self_loops: bool):
    from hma_graph.data.tu import load_tu

    data = load_tu(name)
    graphs = _gcn_ready(data.graphs) if self_loops else data.graphs
    return graphs, data.labels, data.num_nodes, data.num_classes


@lru_cache(maxsize=2)
def _sst_graphs(name: str, raw_dir: str, self_loops: bool):
    from hma_graph.data.sentigraph import SENTIGRAPH_CLASSES, sentigraph_degree_shift

    graphs, labels, split = sentigraph_degree_shift(name, raw_dir)
    return (_gcn_ready(graphs) if self_loops else graphs), labels, split, SENTIGRAPH_CLASSES[name]


@lru_cache(maxsize=2)
def _spmotif_graphs(bias: float, seed: int, sizes: Tuple[int, int, int], test_base: str):
    from hma_graph.data.spmotif import spurious_motif_splits

    data = spurious_motif_splits(bias, seed, n_train=sizes[0], n_val=sizes[1], n_test=sizes[2],
                                 base_size="small", test_base_size=test_base)
    graphs, labels, split, start = [], [], {}, 0
    for ours, theirs in (("train", "train"), ("valid", "val"), ("test", "test")):
        n = len(data[theirs]["graphs"])
        graphs += data[theirs]["graphs"]
        labels.append(data[theirs]["labels"])
        split[ours] = list(range(start, start + n))
        start += n
    return graphs, torch.cat(labels), split, 3


def backbone_config(suite: str, dataset: str) -> dict:
    cfg = dict(BACKBONES[suite])
    if suite == "tu" and dataset == "PROTEINS":
        cfg.update(conv="gin", readout="max")
    return cfg


def load_split(suite: str, dataset: str, seed: int, profile: dict, raw_dir=None):
    """``(graphs, labels, split {"train","valid","test"} -> indices, num_classes)`` for one run."""
    gcn = backbone_config(suite, dataset)["conv"] == "gcn"
    if suite == "tu":
        from hma_graph.data.splits import size_shift_split

        graphs, labels, num_nodes, num_classes = _tu_graphs(dataset, gcn)
        return graphs, labels, size_shift_split(num_nodes, seed), num_classes   # = tu_size_shift
    if suite == "sst":
        if raw_dir is None:
            raise ValueError("suite 'sst' needs raw_dir (DIG SentiGraph raw files)")
        return _sst_graphs(dataset, str(Path(raw_dir).expanduser()), gcn)
    graphs, labels, split, c = _spmotif_graphs(spmotif_bias(dataset), seed, tuple(profile["spmotif_sizes"]),
                                               profile["spmotif_test_base"])
    return graphs, labels, split, c


# ----------------------------------------------------------------------------- methods
def ciga_config(suite: str, dataset: str, version: str) -> dict:
    if suite == "spmotif":
        b = spmotif_bias(dataset)
        row = next((v for k, v in SPMOTIF_CIGA.items() if abs(k - b) < 1e-9), None)
        if row is None:
            raise ValueError(f"no CIGA hyperparameters for Spurious-Motif bias {b}; known: {sorted(SPMOTIF_CIGA)}")
        out = {"ratio": row["ratio"], "alpha": row[f"{version}_alpha"]}
        if version == "v2":
            out["beta"] = row["v2_beta"]
        return out
    return ciga_hparams(dataset, version)


def build_method(method: str, suite: str, dataset: str, in_dim: int, num_classes: int):
    """``(model, objective, config)`` for one method; call after ``torch.manual_seed``."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {list(METHODS)}")
    bb = backbone_config(suite, dataset)
    config = {"backbone": bb, "method": method}
    if method.startswith("ciga"):
        hp = ciga_config(suite, dataset, method[-2:])
        model = CIGAModel(in_dim, num_classes, ratio=hp.pop("ratio"), **bb)
        config.update(objective=method, ratio=model.ratio, objective_hparams=hp)
        return model, make_objective(method, model, **hp), config
    model = GNNClassifier(in_dim, num_classes, **bb)
    if method == "hma":
        opts = dict(HMA_SETTINGS[suite])
        model = hma_graph.apply(model, num_classes, **opts)
        config.update(objective="erm", objective_hparams={}, hma=opts)
        return model, make_objective("erm", model), config
    hp = dict(PENALTIES[method])
    config.update(objective=method, objective_hparams=hp, environments="2 random halves of each batch")
    return model, make_objective(method, model, **hp), config


def run_one(spec: Mapping, profile: dict, raw_dir=None, progress: bool = False,
            checkpoint_dir: Optional[Path] = None) -> dict:
    """Train one (suite, dataset, method, seed) and return its record (without sweep fields)."""
    suite, dataset, method, seed = spec["suite"], spec["dataset"], spec["method"], int(spec["seed"])
    metric = SUITES[suite]["metric"]
    t0 = time.perf_counter()
    graphs, labels, split, num_classes = load_split(suite, dataset, seed, profile, raw_dir)
    in_dim = graphs[0].ndata["feat"].shape[1]
    bs = profile["batch_size"]
    loaders = {s: GraphLoader(graphs, labels, bs, shuffle=(s == "train"), seed=seed,
                              drop_last_if_single=(s == "train"), indices=split[s])
               for s in ("train", "valid", "test")}
    torch.manual_seed(seed)
    model, objective, config = build_method(method, suite, dataset, in_dim, num_classes)
    extra = None
    if method == "hma":
        def batch_inference(m):
            m.hma.inference = "batch"
            try:
                return compute_metric(metric, *predict(m, loaders["test"]))
            finally:
                m.hma.inference = "isolated"

        extra = {"test_batch_inference": batch_inference}
    setup_s = time.perf_counter() - t0
    rec = fit(model, loaders["train"], loaders["valid"], loaders["test"], metric=metric,
              epochs=profile["epochs"], lr=profile["lr"], warmup=profile["warmup"],
              patience=profile["patience"], count_warmup=False, objective=objective, extra_eval=extra,
              progress=progress, desc=f"{dataset} {method} s{seed}",
              checkpoint=None if checkpoint_dir is None else Path(checkpoint_dir) / f"{run_name(spec)}.pt")
    if extra:
        rec["test_batch_inference"] = rec["extra"]["test_batch_inference"]
    h = rec["history"]
    config.update(metric=metric, selection=f"best validation {metric}", epochs=profile["epochs"],
                  warmup=profile["warmup"], patience=profile["patience"],
                  early_stopping="non-improving epochs counted from epoch index >= warmup (CIGA)",
                  batch_size=bs, lr=profile["lr"],
                  optimizer="Adam", self_loops=config["backbone"]["conv"] == "gcn")
    if suite == "spmotif":
        config.update(bias=spmotif_bias(dataset), sizes=list(profile["spmotif_sizes"]),
                      base_size="small", test_base_size=profile["spmotif_test_base"])
    rec.update(config=config, setup_s=setup_s, epoch_s_mean=statistics.fmean(h["epoch_s"]),
               eval_s_mean=statistics.fmean(h["eval_s"]),
               sizes={s: len(split[s]) for s in ("train", "valid", "test")}, in_dim=in_dim,
               num_classes=num_classes, params=sum(p.numel() for p in model.parameters()),
               machine=machine())
    return rec


# ----------------------------------------------------------------------------- tables (pure)
def scores(records: Iterable[Mapping], value: str = "test") -> Dict[Tuple[str, str], dict]:
    """(method, dataset) -> {"mean", "std", "n", "values", "seeds"} over seeds (records lacking
    ``value`` are skipped)."""
    recs = [r for r in records if value in r]
    out = {}
    for key, stats in aggregate(recs, value=value).items():
        k = dict(key)
        out[(k["method"], k["dataset"])] = stats
    return out


def per_epoch_s(record: Mapping) -> float:
    return float(record["wall_s"]) / max(int(record["epochs_run"]), 1)


def relative_time(records: Iterable[Mapping], base: str = "erm") -> Dict[str, dict]:
    """method -> {"run": median wall_s ratio, "epoch": median per-epoch ratio, "pairs": n} against
    ``base`` over the (dataset, seed) pairs both have; methods without a pair are left out."""
    by: Dict[Tuple[str, str, object], Mapping] = {}
    for r in records:
        s = r["spec"]
        by[(s["method"], s["dataset"], s["seed"])] = r
    out: Dict[str, dict] = {}
    for method in sorted({m for m, _, _ in by}):
        run, epoch = [], []
        for (m, d, seed), r in by.items():
            b = by.get((base, d, seed))
            if m != method or b is None:
                continue
            run.append(float(r["wall_s"]) / float(b["wall_s"]))
            epoch.append(per_epoch_s(r) / per_epoch_s(b))
        if run:
            out[method] = {"run": statistics.median(run), "epoch": statistics.median(epoch), "pairs": len(run)}
    return out


def _fmt(mean: float, std: float, scale: float, digits: int) -> str:
    return f"{mean * scale:.{digits}f} ± {std * scale:.{digits}f}"


def render_table(records: Sequence[Mapping], datasets: Sequence[str], metric: str,
                 paper: Optional[Mapping] = None, caption: str = "") -> str:
    """Markdown table (rows = methods, per dataset ours vs paper, average, cost vs ERM) + caption.

    ``paper``: ``{"rows": {paper row label: {dataset: [mean, std]}}}`` in the paper's units
    (accuracy in %, MCC as is); ours are scaled the same way (accuracy x 100).
    """
    scale, digits = (100.0, 2) if metric == "accuracy" else (1.0, 3)
    ours = scores(records)
    batch = scores(records, value="test_batch_inference")
    times = relative_time(records)
    methods = [m for m in METHODS if any((m, d) in ours for d in datasets)]
    methods += sorted({m for m, _ in ours} - set(methods) - set(METHODS))
    rows_paper = (paper or {}).get("rows", {})
    with_paper, with_avg = paper is not None, len(datasets) > 1
    header = ["method"]
    for d in datasets:
        header += [f"{d} (ours)"] + ([f"{d} (paper)"] if with_paper else [])
    if with_avg:
        header += ["avg (ours)"] + (["avg (paper)"] if with_paper else [])
    header += ["time/run vs ERM", "time/epoch vs ERM"]

    def row(label, method, table):
        cells, means = [label], []
        prow = rows_paper.get(LABELS.get(method, method), {})
        pmeans = []
        for d in datasets:
            st = table.get((method, d))
            if st is None:
                cells.append("-")
            else:
                cells.append(f"{_fmt(st['mean'], st['std'], scale, digits)} ({st['n']})")
                means.append(st["mean"] * scale)
            p = prow.get(d)
            if with_paper:
                cells.append("-" if p is None else f"{p[0]:.2f} ± {p[1]:.2f}")
            if p is not None:
                pmeans.append(p[0])
        if with_avg:
            cells.append(f"{statistics.fmean(means):.{digits}f}" if len(means) == len(datasets) else "-")
            if with_paper:
                cells.append(f"{statistics.fmean(pmeans):.{digits}f}" if len(pmeans) == len(datasets) else "-")
        t = times.get(method)
        if table is batch or t is None:
            cells += ["-", "-"]
        else:
            cells += [f"{t['run']:.2f}x", f"{t['epoch']:.2f}x"]
        return cells

    rows = [row(LABELS.get(m, m), m, ours) for m in methods]
    if any(("hma", d) in batch for d in datasets):
        rows.append(row(BATCH_ROW, "hma", batch))
    table = markdown_table(header, rows)
    return (caption.strip() + "\n\n" if caption else "") + table + "\n"


def caption(suite: str, profile_name: str, profile: dict, records: Sequence[Mapping]) -> str:
    info = SUITES[suite]
    seeds = sorted({r["spec"]["seed"] for r in records}) if records else []
    metric = "MCC" if info["metric"] == "mcc" else "accuracy (%)"
    bb = ", ".join(f"{d}: {backbone_config(suite, d)['conv'].upper()} {BACKBONES[suite]['num_layers']}x"
                   f"{BACKBONES[suite]['hidden']} {backbone_config(suite, d)['readout']} readout"
                   for d in sorted({r['spec']['dataset'] for r in records})) or "-"
    hma = HMA_SETTINGS[suite]
    ciga = []
    for d in sorted({r["spec"]["dataset"] for r in records}):
        try:
            v1, v2 = ciga_config(suite, d, "v1"), ciga_config(suite, d, "v2")
        except ValueError:
            continue
        ciga.append(f"{d} ({v1['ratio']:g}; {v1['alpha']:g}; {v2['alpha']:g}, {v2['beta']:g})")
    ciga = ", ".join(ciga) or "-"
    lines = [
        f"**{info['title']}** — {metric}, test at the best validation epoch (selection by validation "
        f"{metric.split(' ')[0]}); ours: mean ± sample std over seeds (number of seeds in parentheses), "
        f"seeds {seeds}.",
        f"Profile `{profile_name}`: up to {profile['epochs']} epochs, early stopping with patience "
        f"{profile['patience']} counted after {profile['warmup']} warm-up epochs (CIGA's rule), batch "
        f"{profile['batch_size']}, Adam lr {profile['lr']}, dropout {BACKBONES[suite]['dropout']}. "
        f"Backbones: {bb}.",
        "IRM / V-REx / IB-IRM: 2 random environments per batch, lambda = 1 (IB gamma = 1; CIGA's "
        f"defaults). CIGA (r; v1 alpha; v2 alpha, beta): {ciga}. HMA: label width "
        f"{hma['label_dim']}, m1 = {hma['memory_size']}, m2 = "
        f"{hma['slots_per_class']} per class, {hma['num_heads']} heads, trained with ERM; the HMA row "
        "uses isolated inference, the last row the paper's batch inference.",
        "Time columns: median over (dataset, seed) pairs of the method's training wall time "
        "(incl. per-epoch evaluation) divided by ERM's, per run and per epoch.",
    ]
    if suite == "spmotif":
        lines.append(f"Data: {profile['spmotif_sizes'][0]}/{profile['spmotif_sizes'][1]}/"
                     f"{profile['spmotif_sizes'][2]} train/val/test graphs generated from the seed; "
                     f"train/val bases small, test bases {profile['spmotif_test_base']}. No paper numbers.")
    else:
        lines.append(f"Paper: arXiv 2310.10909 ({info['paper'].replace('table', 'Table ')}, "
                     f"{'10 seeds' if suite == 'tu' else '5 seeds'}).")
    return "\n".join(lines)


def write_table(out_dir: Path, suite: str, profile_name: str, profile: dict,
                datasets: Optional[Sequence[str]] = None) -> str:
    records = load_records(out_dir)
    if datasets is None:
        present = {r["spec"]["dataset"] for r in records}
        known = SUITES[suite]["datasets"]
        datasets = [d for d in known if d in present] if known else sorted(present, key=spmotif_bias)
    paper = None
    if SUITES[suite]["paper"]:
        paper = json.loads(PAPER_TABLES.read_text())[SUITES[suite]["paper"]]
    text = render_table(records, datasets, SUITES[suite]["metric"], paper,
                        caption(suite, profile_name, profile, records))
    write_text_atomic(Path(out_dir) / "TABLE.md", text)
    return text


# ----------------------------------------------------------------------------- CLI
def main(argv=None) -> str:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", required=True, choices=sorted(SUITES))
    ap.add_argument("--datasets", nargs="+")
    ap.add_argument("--methods", nargs="+", default=list(METHODS))
    ap.add_argument("--seeds", type=int, nargs="+")
    ap.add_argument("--profile", choices=sorted(PROFILES), default="paper")
    ap.add_argument("--epochs", type=int, help="override the profile's maximum epochs")
    ap.add_argument("--table-only", action="store_true", help="only rewrite TABLE.md from the records")
    ap.add_argument("--raw-dir", help="folder with DIG's SentiGraph raw files (suite sst)")
    ap.add_argument("--out", type=Path, help="records folder (default benchmarks/results/ood/<suite>-<profile>)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-progress", action="store_true")
    args = ap.parse_args(argv)

    profile = dict(PROFILES[args.profile])
    tag = f"{args.suite}-{args.profile}"
    if args.epochs is not None:
        if args.epochs < 1:
            ap.error("--epochs must be >= 1")
        profile["epochs"] = args.epochs
        tag += f"-e{args.epochs}"
    out_dir = args.out or OUT_ROOT / tag
    try:
        datasets = check_datasets(args.suite, args.datasets or SUITES[args.suite]["default"])
        bad = [m for m in args.methods if m not in METHODS]
        if bad:
            raise ValueError(f"unknown method(s) {bad}; choose from {list(METHODS)}")
    except ValueError as e:
        ap.error(str(e))
    if args.table_only:
        text = write_table(out_dir, args.suite, args.profile, profile)
        print(text)
        return text
    if args.suite == "sst":
        if not args.raw_dir:
            ap.error("--suite sst needs --raw-dir DIR holding DIG's SentiGraph raw files "
                     f"(<name>_{{{','.join(SENTIGRAPH_FILES)}}}) for {datasets}")
        missing = missing_sentigraph_files(args.raw_dir, datasets)
        if missing:
            ap.error(f"missing SentiGraph raw file(s) in {args.raw_dir}: "
                     + ", ".join(p.name for p in missing)
                     + " (DIG's Graph-SST5 / Graph-Twitter files; see PROTOCOLS.md C)")
    torch.set_num_threads(args.threads)
    seeds = args.seeds if args.seeds is not None else list(SUITES[args.suite]["seeds"])
    specs = [{"suite": args.suite, "dataset": d, "method": m, "seed": s}
             for d in datasets for s in seeds for m in args.methods]
    run_sweep(specs, lambda spec: run_one(spec, profile, args.raw_dir, checkpoint_dir=out_dir / ".partial"),
              out_dir,
              progress=not args.no_progress, desc=tag)
    text = write_table(out_dir, args.suite, args.profile, profile)
    print(text)
    print(f"records and TABLE.md in {out_dir}")
    return text


if __name__ == "__main__":
    main()
