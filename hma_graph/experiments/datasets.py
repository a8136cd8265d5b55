"""Data of one run from its resolved config: ``(graphs, labels, split, num_classes)``.

    graphs, labels, split, c = load_data(config)      # split: {"train", "valid", "test"} -> indices

* OGB molecules (``model.name == "ogb_mol"``): :func:`hma_graph.data.molecules.load_molecule_dataset`;
  labels (n, T) float32 with NaN = unlabelled, ``c`` = T tasks; ``data.train_limit`` keeps the
  first N training graphs.
* ``data.suite == "tu"``: :func:`hma_graph.data.tu.load_tu` + the seed's size-shift split.
* ``"tu-id"`` (Table 4): :func:`~hma_graph.data.tu.load_tu`, node features by the degree rule of
  :func:`hma_graph.data.features.degree_features` over the whole data set (``data.one_hot_below``)
  for featureless data sets, and the seed's random split (``data.split`` fractions,
  :func:`hma_graph.data.splits.random_split`). G-Mixup's synthetic training graphs are added per run
  by :func:`with_gmixup` (called by the training loader builder, not cached).
* ``"sst"``: DIG's SentiGraph raw files in ``raw_dir`` (not part of the config: a location, not a
  protocol) + the degree-shift split.
* ``"spmotif"``: generated from the seed (bias and sizes from ``data``).

GCN backbones (``data.self_loops``) get exactly one self-loop per node, added per graph before
batching (existing loops removed first, as PyG's GCNConv does). Loaded data are cached per process
(a sweep of many seeds loads a data set once). Missing files raise :class:`DataMissingError`
naming what is missing and how to provide it.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional, Tuple

import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

__all__ = ["load_data", "DataMissingError", "SENTIGRAPH_FILES", "missing_sentigraph_files", "with_gmixup"]

SENTIGRAPH_FILES = ("node_features.pkl", "edge_index.txt", "node_indicator.txt", "graph_labels.txt")


class DataMissingError(RuntimeError):
    """A data set's raw files are neither built locally, nor in the mirror, nor downloadable."""


def missing_sentigraph_files(raw_dir, datasets):
    """The required DIG raw files (``<name>_<suffix>``) that ``raw_dir`` lacks."""
    raw = Path(raw_dir).expanduser()
    return [raw / f"{d}_{s}" for d in datasets for s in SENTIGRAPH_FILES if not (raw / f"{d}_{s}").is_file()]


def _gcn_ready(graphs) -> list:
    return [dgl.add_self_loop(dgl.remove_self_loop(g)) for g in graphs]


@lru_cache(maxsize=3)
def _molecules(name: str):
    from ..data.fetch import ChecksumError
    from ..data.molecules import SPECS, load_molecule_dataset

    try:
        ds, split = load_molecule_dataset(name)
    except (RuntimeError, FileNotFoundError, OSError, ChecksumError) as e:
        raise DataMissingError(
            f"{name}: could not load its data ({type(e).__name__}: {e}). Set HMA_GRAPH_MIRROR to the "
            f"offline data mirror (a folder holding {SPECS[name].source}) or make the official "
            "download reachable; built data live under HMA_GRAPH_DATA.") from e
    return list(ds.graphs), ds.labels.to(torch.float32), split


@lru_cache(maxsize=4)
def _tu(name: str, self_loops: bool):
    from ..data.tu import load_tu

    data = load_tu(name)
    graphs = _gcn_ready(data.graphs) if self_loops else data.graphs
    return graphs, data.labels, data.num_nodes, data.num_classes


@lru_cache(maxsize=2)
def _tu_id(name: str, one_hot_below: int):
    from ..data.fetch import ChecksumError
    from ..data.features import degree_features
    from ..data.tu import load_tu

    try:
        data = load_tu(name)
    except (RuntimeError, OSError, ChecksumError) as e:
        raise DataMissingError(f"{name}: could not load its data ({type(e).__name__}: {e})") from e
    if data.feat_dim == 0:
        degree_features(data.graphs, one_hot_below=one_hot_below)
    return data.graphs, data.labels, data.num_classes


def with_gmixup(config: Mapping, graphs, labels, split, num_classes: int):
    """G-Mixup's training set for one run: ``(graphs', train_labels, eval_labels, train_indices)``.

    Synthetic graphs (:func:`hma_graph.augment.gmixup`, options ``data.gmixup``, seeded with the
    run's seed) come from the training split only and are appended after the N real graphs; node
    features of the real graphs (fresh copies: the cached ones are untouched) and the synthetic ones
    are then set together by the degree rule, as G-Mixup's script featurises its augmented data set.
    ``train_labels`` (N + S, C) float: one-hot rows for real graphs, the mixed labels for synthetic
    ones; ``eval_labels`` (N + S,): the real labels, -1 for synthetic rows (never evaluated).
    """
    from ..augment.gmixup import gmixup
    from ..data.features import degree_features

    train = torch.as_tensor(split["train"], dtype=torch.long)
    synthetic, soft = gmixup([graphs[i] for i in train.tolist()], labels[train], num_classes,
                             seed=int(config["seed"]), **config["data"]["gmixup"])
    copies = [dgl.graph(g.edges(), num_nodes=g.num_nodes()) for g in graphs]
    everything = degree_features(copies + synthetic, one_hot_below=int(config["data"]["one_hot_below"]))
    n, s = len(graphs), len(synthetic)
    train_labels = torch.cat([torch.nn.functional.one_hot(labels.long(), num_classes).float(), soft])
    eval_labels = torch.cat([labels.long(), torch.full((s,), -1, dtype=torch.long)])
    return everything, train_labels, eval_labels, torch.cat([train, torch.arange(n, n + s)])


@lru_cache(maxsize=2)
def _sst(name: str, raw_dir: str, self_loops: bool):
    from ..data.sentigraph import SENTIGRAPH_CLASSES, sentigraph_degree_shift

    missing = missing_sentigraph_files(raw_dir, [name])
    if missing:
        raise DataMissingError(f"missing SentiGraph raw file(s) in {raw_dir}: "
                               + ", ".join(p.name for p in missing)
                               + " (DIG's Graph-SST5 / Graph-Twitter files; docs/PROTOCOLS.md, section C)")
    graphs, labels, split = sentigraph_degree_shift(name, raw_dir)
    return (_gcn_ready(graphs) if self_loops else graphs), labels, split, SENTIGRAPH_CLASSES[name]


@lru_cache(maxsize=2)
def _spmotif(bias: float, seed: int, sizes: Tuple[int, int, int], base: str, test_base: str):
    from ..data.spmotif import spurious_motif_splits

    data = spurious_motif_splits(bias, seed, n_train=sizes[0], n_val=sizes[1], n_test=sizes[2],
                                 base_size=base, test_base_size=test_base)
    graphs, labels, split, start = [], [], {}, 0
    for ours, theirs in (("train", "train"), ("valid", "val"), ("test", "test")):
        n = len(data[theirs]["graphs"])
        graphs += data[theirs]["graphs"]
        labels.append(data[theirs]["labels"])
        split[ours] = list(range(start, start + n))
        start += n
    return graphs, torch.cat(labels), split, 3


def load_data(config: Mapping, raw_dir: Optional[str] = None):
    """``(graphs, labels, split, num_classes)`` of the run ``config`` (module docstring)."""
    data, seed = config["data"], int(config["seed"])
    if config["model"]["name"] == "ogb_mol":
        graphs, labels, split = _molecules(config["dataset"])
        limit = data.get("train_limit")
        if limit is not None:
            split = {**split, "train": split["train"][:limit]}
        return graphs, labels, split, labels.shape[1]
    suite = data["suite"]
    if suite == "tu":
        from ..data.splits import size_shift_split

        graphs, labels, num_nodes, c = _tu(config["dataset"], data["self_loops"])
        return graphs, labels, size_shift_split(num_nodes, seed), c
    if suite == "tu-id":
        from ..data.splits import random_split

        graphs, labels, c = _tu_id(config["dataset"], int(data["one_hot_below"]))
        return graphs, labels, random_split(len(graphs), seed, tuple(data["split"])), c
    if suite == "sst":
        if raw_dir is None:
            raise DataMissingError("suite 'sst' needs raw_dir, the folder of DIG's SentiGraph raw files")
        return _sst(config["dataset"], str(Path(raw_dir).expanduser()), data["self_loops"])
    if suite == "spmotif":
        return _spmotif(float(data["bias"]), seed, tuple(data["sizes"]), data["base_size"], data["test_base_size"])
    raise ValueError(f"unknown data suite {suite!r}")
