"""Table 4 (TU in-distribution, accuracy) in the registry: G-Mixup's protocol, five augmentation
baselines and the HMA ablations on one GIN.

Spec: ``{"dataset", "method", "seed"}``. Protocol: ``docs/PROTOCOLS.md``, section E. Data sets:
IMDB-BINARY, IMDB-MULTI, REDDIT-BINARY (offline mirror) and REDDIT-MULTI-5K/12K (official download,
checksum to be accepted: ``hma_graph.data.fetch``). Seeds :data:`SEEDS` (G-Mixup's 1314 + 10000 k).

Settings and their sources (G-Mixup = ``ahxt/g-mixup``, ``src/gmixup.py`` and ``run_*.sh``):

* split, features, optimiser, schedule, batch, epochs: G-Mixup's script (70/10/20 of a seeded
  shuffle; one-hot degree below max degree 2000, else z-scored; Adam lr 0.01, weight decay 5e-4,
  StepLR(100, 0.5), batch 128, 800 epochs);
* backbone: GIN 5 x 64, mean readout, head Linear(64, 64)-ReLU-Linear(64, C), no dropout (G-Mixup's
  ``models.GIN``; our GIN layer, see ``hma_graph.models.gnn``);
* G-Mixup (:data:`GMIXUP`): the published run's values: graphons at the median node count of the
  training graphs, USVT threshold 0.2, 10 mixing weights lam ~ U[0.005, 0.01], synthetic graphs
  = 15% of the training set, isolated nodes of sampled graphs removed;
* DropEdge / DropNode / Subgraph (:data:`AUGMENT`): G-Mixup released no code for its baselines;
  we take GraphCL's default strength, 20% (edges or nodes dropped, or 80% of the nodes kept by the
  random walk), applied afresh to every training graph in every batch;
* Manifold Mixup (:data:`MMIXUP`): lam ~ Beta(1, 1) on the pooled embedding (not recoverable);
* HMA and ablations (:data:`HMA_SETTINGS`): the paper's TU reference setting (d_l 16, m2 = 32
  slots per class, 4 heads) with m1 = 128 = 1 x batch, momentum warm-up on, isolated inference
  (the paper's batch inference also measured for the variants with the across-batch block).

Profiles: "paper" (above), "reduced" (200 epochs with the lr halved every 25 epochs: the paper's
schedule compressed 4x; stated in the caption), "quick" (a smoke run, not a result).
"""
from __future__ import annotations

from typing import Mapping

from .registry import merge, train_section

__all__ = ["DATASETS", "AVAILABLE", "METHODS", "LABELS", "SEEDS", "AUGMENT", "MMIXUP", "GMIXUP",
           "HMA_VARIANTS", "HMA_SETTINGS", "PROFILES", "PROFILE_NOTES", "SPEC_KEYS", "resolve", "check_dataset"]

SPEC_KEYS = ("dataset", "method", "seed")
DATASETS = ("IMDB-BINARY", "IMDB-MULTI", "REDDIT-BINARY", "REDDIT-MULTI-5K", "REDDIT-MULTI-12K")
AVAILABLE = DATASETS[:3]  # in the offline mirror; the other two need the official download
SEEDS = tuple(1314 + 10000 * k for k in range(8))
METHODS = ("vanilla", "dropedge", "dropnode", "subgraph", "mmixup", "gmixup", "rma", "abd", "abd+syn", "hma")
LABELS = {"vanilla": "vanilla", "dropedge": "DropEdge", "dropnode": "DropNode", "subgraph": "Subgraph",
          "mmixup": "M-Mixup", "gmixup": "G-Mixup", "rma": "RMA", "abd": "ABD", "abd+syn": "ABD+SYN", "hma": "HMA"}
AUGMENT = {"dropedge": {"name": "dropedge", "p": 0.2}, "dropnode": {"name": "dropnode", "p": 0.2},
           "subgraph": {"name": "subgraph", "keep": 0.8}}
MMIXUP = {"alpha": 1.0}
GMIXUP = {"resolution": "median", "threshold": 0.2, "aug_num": 10, "aug_ratio": 0.15, "lam_range": [0.005, 0.01],
          "drop_isolated": True}
HMA_VARIANTS = ("rma", "abd", "abd+syn", "hma")
_ACROSS_BATCH = ("abd", "abd+syn", "hma")  # their prediction depends on the inference mode
HMA_SETTINGS = {"label_dim": 16, "memory_size": 128, "slots_per_class": 32, "num_heads": 4, "momentum_warmup": True,
                "inference": "isolated"}

PROFILES = {
    "paper": {"data": {"split": [0.7, 0.1, 0.2], "one_hot_below": 2000},
              "model": {"hidden": 64, "num_layers": 5, "conv": "gin", "readout": "mean", "dropout": 0.0,
                        "head_layers": 2},
              "hma": dict(HMA_SETTINGS),
              "train": {"epochs": 800, "batch_size": 128, "lr": 0.01, "weight_decay": 5e-4, "loss": "ce",
                        "metric": "accuracy", "lr_step": [100, 0.5]}},
    "reduced": {"base": "paper", "train": {"epochs": 200, "lr_step": [25, 0.5]}},
    "quick": {"base": "paper", "model": {"hidden": 16, "num_layers": 2},
              "hma": {"memory_size": 32, "slots_per_class": 4},
              "train": {"epochs": 3, "batch_size": 32, "lr_step": [2, 0.5]}},
}

# what each profile is, for the table caption
PROFILE_NOTES = {
    "paper": "G-Mixup's protocol (800 epochs, lr halved every 100 epochs).",
    "reduced": "a reduced protocol, not the paper's: 200 of the 800 epochs, with the lr halved every 25 epochs "
               "(the paper's schedule compressed 4x); everything else as the paper profile.",
    "quick": "a smoke run (3 epochs, GIN 2x16), not a result.",
}


def check_dataset(name: str) -> str:
    if name not in DATASETS:
        raise ValueError(f"unknown Table 4 data set {name!r}; choose from {list(DATASETS)}")
    return name


def resolve(profile: Mapping, spec: Mapping) -> dict:
    """The resolved config of one Table 4 run (see :mod:`hma_graph.experiments.registry`)."""
    dataset, method = check_dataset(spec["dataset"]), spec["method"]
    if method not in METHODS:
        raise ValueError(f"unknown Table 4 method {method!r}; choose from {list(METHODS)}")
    data = {"suite": "tu-id", **profile["data"], "augment": AUGMENT.get(method),
            "gmixup": dict(GMIXUP) if method == "gmixup" else None}
    hma = merge({"variant": method, **HMA_SETTINGS}, profile["hma"], "hma") if method in HMA_VARIANTS else None
    objective = {"name": "mmixup", "hparams": dict(MMIXUP)} if method == "mmixup" else None
    return {"dataset": dataset, "seed": int(spec["seed"]), "method": method, "data": data,
            "model": {"name": "gnn", **profile["model"]}, "hma": hma, "objective": objective,
            "train": train_section(profile["train"]),
            "eval": {"other_inference": "batch" if method in _ACROSS_BATCH else None}}
