"""Out-of-distribution suites in the registry: TU size shift (Table 6), SentiGraph degree shift
(Table 5), Spurious-Motif; methods ERM, IRM, V-REx, IB-IRM, CIGAv1/v2 and HMA.

Spec: ``{"suite", "dataset", "method", "seed"}``. Protocols: ``docs/PROTOCOLS.md`` sections B
(tu), C (sst), D (objectives), F (spmotif). Profiles: "paper" (up to 400 epochs, early stopping
after 20 warm-up epochs with patience 5, CIGA's counting; Spurious-Motif at DIR's sizes
9000/3000/6000 with large test bases), "quick" (a smoke run: 30 epochs, warm-up 10,
Spurious-Motif 800/400/400 with small test bases), "demo" (the main job ``python -m hma_graph``:
60 epochs without early stopping on the quick data) and "quickstart" (the one-model example).

Settings per suite: backbone (:data:`BACKBONES`; PROTEINS: GIN with max readout), HMA
(:data:`HMA_SETTINGS`, the paper's reference settings: TU's PROTEINS setting for TU and
Spurious-Motif, Twitter's for SentiGraph), penalties (:data:`PENALTIES`: lambda = 1, IB gamma = 1,
CIGA's defaults) and CIGA (:data:`CIGA_HPARAMS` for TU/SentiGraph, :data:`SPMOTIF_CIGA` from
CIGA's ``scripts/spmotif-struc.sh``).
"""
from __future__ import annotations

from typing import Dict, Mapping

from .registry import merge, train_section

__all__ = ["DEFAULT_METHODS", "RECIPE_METHODS", "SUITES", "METHODS", "LABELS", "BACKBONES", "HMA_SETTINGS",
           "PENALTIES", "CIGA_HPARAMS", "SPMOTIF_CIGA", "PROFILES", "SPEC_KEYS", "resolve", "ciga_hparams",
           "ciga_model_options", "spmotif_bias", "check_datasets", "backbone_config"]

SPEC_KEYS = ("suite", "dataset", "method", "seed")
# the paper's methods (the default of a sweep), then recipes of ours: "hma-s1" is HMA with lr_scale 1
# (every parameter at the one Adam lr, as in the paper and in this library before 0.1 became the default)
DEFAULT_METHODS = ("erm", "asap", "dir", "irm", "vrex", "ibirm", "cigav1", "cigav2", "hma")
RECIPE_METHODS = {"hma-s1": {"lr_scale": 1.0}}
METHODS = DEFAULT_METHODS + tuple(RECIPE_METHODS)
LABELS = {"erm": "ERM", "asap": "ASAP", "dir": "DIR", "irm": "IRM", "vrex": "V-REx", "ibirm": "IB-IRM",
          "cigav1": "CIGAv1", "cigav2": "CIGAv2", "hma": "HMA", "hma-s1": "HMA (lr_scale 1)"}
# ASAP (hma_graph.models.asap.ASAPClassifier): the suite's width and depth, pooling ratio 0.8 and
# attention dropout 0 (the defaults of PyG's kernel benchmark asap.py, which CIGA's ASAP baseline uses)
ASAP = {"ratio": 0.8, "dropout": 0.0}
# DIR (hma_graph.objectives.dir): rationale ratio r and alpha of DIR's Spurious-Motif command
# (r 0.25, alpha 1e-4), used for every data set (no per-data-set values were published for TU / SST)
DIR = {"ratio": 0.25, "alpha": 1e-4}
SUITES = {
    "tu": {"title": "Table 6: TU size shift (train on small graphs, test on large)",
           "datasets": ("NCI1", "NCI109", "PROTEINS", "DD"), "metric": "mcc", "seeds": (0, 1, 2, 3, 4),
           "paper": "table6"},
    "sst": {"title": "Table 5: SentiGraph degree shift", "datasets": ("Graph-SST5", "Graph-Twitter"),
            "metric": "accuracy", "seeds": (0, 1, 2, 3, 4), "paper": "table5"},
    "spmotif": {"title": "Spurious-Motif (base spuriously correlated with the label in training)",
                "datasets": None, "default": ("SPMotif-0.33", "SPMotif-0.6", "SPMotif-0.9"), "metric": "accuracy",
                "seeds": (0, 1, 2, 3, 4),
                "paper": None},
}
BACKBONES = {
    "tu": {"hidden": 32, "num_layers": 3, "conv": "gcn", "readout": "mean", "dropout": 0.3},
    "sst": {"hidden": 128, "num_layers": 3, "conv": "gcn", "readout": "mean", "dropout": 0.5},
    "spmotif": {"hidden": 32, "num_layers": 3, "conv": "gin", "readout": "mean", "dropout": 0.0},
}
HMA_SETTINGS = {
    "tu": {"label_dim": 16, "memory_size": 128, "slots_per_class": 32, "num_heads": 4, "momentum_warmup": True},
    "sst": {"label_dim": 32, "memory_size": 192, "slots_per_class": 48, "num_heads": 4, "momentum_warmup": True},
    "spmotif": {"label_dim": 16, "memory_size": 128, "slots_per_class": 32, "num_heads": 4,
                "momentum_warmup": True},
}
PENALTIES = {"erm": {}, "irm": {"penalty_weight": 1.0}, "vrex": {"penalty_weight": 1.0},
             "ibirm": {"penalty_weight": 1.0, "ib_weight": 1.0}}
# dataset -> ratio r of kept edges, v1 alpha, v2 alpha, v2 beta (docs/PROTOCOLS.md B and C)
CIGA_HPARAMS: Dict[str, Dict[str, float]] = {
    "nci1": {"ratio": 0.6, "v1_alpha": 0.5, "v2_alpha": 1.0, "v2_beta": 1.0},
    "nci109": {"ratio": 0.7, "v1_alpha": 2.0, "v2_alpha": 2.0, "v2_beta": 1.0},
    "proteins": {"ratio": 0.3, "v1_alpha": 0.5, "v2_alpha": 0.5, "v2_beta": 1.0},
    "dd": {"ratio": 0.3, "v1_alpha": 2.0, "v2_alpha": 2.0, "v2_beta": 1.0},
    "sst5": {"ratio": 0.5, "v1_alpha": 8.0, "v2_alpha": 4.0, "v2_beta": 1.0},
    "twitter": {"ratio": 0.6, "v1_alpha": 8.0, "v2_alpha": 8.0, "v2_beta": 0.5},
}
# CIGA's model options as its published scripts run it: NCI1, NCI109 and Spurious-Motif with
# "-c_in feat -c_rep feat", the others with the raw features; the causal head an MLP everywhere
CIGA_FEATURIZER_SETS = ("nci1", "nci109")


def ciga_model_options(suite: str, dataset: str) -> Dict[str, str]:
    feat = suite == "spmotif" or dataset.lower() in CIGA_FEATURIZER_SETS
    return {"classifier_input": "featurizer" if feat else "raw",
            "contrast_rep": "featurizer" if feat else "classifier", "causal_head": "mlp"}


SPMOTIF_CIGA = {0.33: {"ratio": 0.25, "v1_alpha": 8.0, "v2_alpha": 8.0, "v2_beta": 1.0},
                0.6: {"ratio": 0.25, "v1_alpha": 0.5, "v2_alpha": 4.0, "v2_beta": 2.0},
                0.9: {"ratio": 0.25, "v1_alpha": 4.0, "v2_alpha": 4.0, "v2_beta": 2.0}}

_EARLY = {"warmup": 20, "patience": 5, "count_warmup": False}
PROFILES = {
    "paper": {"train": {"epochs": 400, **_EARLY, "batch_size": 32, "lr": 1e-3, "loss": "ce"},
              "spmotif": {"sizes": [9000, 3000, 6000], "base_size": "small", "test_base_size": "large"},
              "backbone": {}, "hma": {}},
    "quick": {"base": "paper", "train": {"epochs": 30, "warmup": 10},
              "spmotif": {"sizes": [800, 400, 400], "test_base_size": "small"}},
    "demo": {"base": "quick", "train": {"epochs": 60, "warmup": None, "patience": None, "count_warmup": True}},
    "quickstart": {"base": "demo", "train": {"epochs": 20}, "spmotif": {"sizes": [600, 300, 300]},
                   "backbone": {"hidden": 64}, "hma": {"memory_size": 64, "slots_per_class": 16}},
}


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


def check_datasets(suite: str, datasets) -> list:
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; choose one of {sorted(SUITES)}")
    known = SUITES[suite]["datasets"]
    for d in datasets:
        if known is None:
            spmotif_bias(d)
        elif d not in known:
            raise ValueError(f"unknown dataset {d!r} for suite {suite!r}; choose from {list(known)}")
    return list(datasets)


def ciga_hparams(suite: str, dataset: str, version: str) -> Dict[str, float]:
    """``{"ratio": r, "alpha": a[, "beta": b]}`` of CIGA ``version`` ('v1'/'cigav1', 'v2') on a data set."""
    v = version.lower().replace("ciga", "")
    if v not in ("v1", "v2"):
        raise ValueError(f"CIGA version must be 'v1' or 'v2', got {version!r}")
    if suite == "spmotif":
        b = spmotif_bias(dataset)
        row = next((r for k, r in SPMOTIF_CIGA.items() if abs(k - b) < 1e-9), None)
        known = sorted(SPMOTIF_CIGA)
    else:
        row = CIGA_HPARAMS.get(dataset.lower().replace("graph-", "").replace("graph_", ""))
        known = sorted(CIGA_HPARAMS)
    if row is None:
        raise ValueError(f"no CIGA hyperparameters for {suite} data set {dataset!r}; known: {known}")
    out = {"ratio": row["ratio"], "alpha": row[f"{v}_alpha"]}
    if v == "v2":
        out["beta"] = row["v2_beta"]
    return out


def backbone_config(suite: str, dataset: str, profile: Mapping = None) -> dict:
    cfg = dict(BACKBONES[suite])
    if suite == "tu" and dataset == "PROTEINS":
        cfg.update(conv="gin", readout="max")
    return merge(cfg, (profile or {}).get("backbone", {}), "backbone")


def resolve(profile: Mapping, spec: Mapping) -> dict:
    """The resolved config of one OOD run (see :mod:`hma_graph.experiments.registry`)."""
    suite, dataset, method = spec["suite"], spec["dataset"], spec["method"]
    check_datasets(suite, [dataset])
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose from {list(METHODS)}")
    bb = backbone_config(suite, dataset, profile)
    data = {"suite": suite, "self_loops": bb["conv"] == "gcn" and method != "asap"}  # ASAP's convs have a root term
    if suite == "spmotif":
        data.update(bias=spmotif_bias(dataset), **profile["spmotif"])
    model, hma, objective = {"name": "gnn", **bb}, None, {"name": method, "hparams": {}}
    if method == "asap":
        model = {"name": "asap", "hidden": bb["hidden"], "num_layers": bb["num_layers"], **ASAP}
        objective["name"] = "erm"
    elif method == "dir":  # DIR's own model: classifier on the raw features, linear causal head
        model = {"name": "ciga", **bb, "ratio": DIR["ratio"], "classifier_input": "raw",
                 "contrast_rep": "classifier", "causal_head": "linear"}
        objective["hparams"] = {"alpha": DIR["alpha"]}
    elif method.startswith("ciga"):
        hp = ciga_hparams(suite, dataset, method)
        model = {"name": "ciga", **bb, "ratio": hp.pop("ratio"), **ciga_model_options(suite, dataset)}
        objective["hparams"] = hp
    elif method == "hma" or method in RECIPE_METHODS:
        hma = {**merge(HMA_SETTINGS[suite], profile.get("hma", {}), "hma"), **RECIPE_METHODS.get(method, {})}
        objective["name"] = "erm"
    else:
        objective["hparams"] = dict(PENALTIES[method])
    return {"dataset": dataset, "seed": int(spec["seed"]), "method": method, "data": data, "model": model,
            "hma": hma, "objective": objective,
            "train": train_section(profile["train"], metric=SUITES[suite]["metric"]),
            "eval": {"other_inference": "batch" if hma is not None else None}}
