"""TU Dortmund graph classification data sets from their raw text files, and the size-shift split.

Raw format (one zip per data set, files ``NAME_*.txt`` anywhere inside it; N nodes, G graphs):

* ``NAME_A.txt``               (M, 2) lines ``u, v``: a directed edge between 1-based GLOBAL node ids
* ``NAME_graph_indicator.txt`` (N,)   1-based graph id of every node, non-decreasing
* ``NAME_graph_labels.txt``    (G,)   graph class label (arbitrary integers, e.g. PROTEINS 1/2,
                                      REDDIT-BINARY -1/1 in our mirror, 0/2 in other copies)
* ``NAME_node_labels.txt``     (N,)   integer node label (absent for IMDB-*, REDDIT-*)

What :func:`load_tu` returns (see :class:`TUData`), per graph i with n_i nodes:

* a ``dgl.DGLGraph`` with n_i nodes and local node ids (global id - first id of the graph). Edges:
  the symmetric closure of the raw edges without duplicates and without self-loops, i.e. the set
  {(u, v), (v, u) : (u, v) listed, u != v}; every undirected edge is present exactly once in each
  direction (IMDB lists every directed edge twice; those copies collapse). Self-loops are removed
  as PyG's ``TUDataset`` does (CIGA's TU experiments use it); the mirror's files contain none.
  Edges are ordered by (source, destination).
* ``ndata["feat"]`` (n_i, F) float32 one-hot node labels, when the data set has node labels.
  Labels are made 0-based by subtracting the data set's minimum label, and
  F = max(label) - min(label) + 1 (PyG's convention). This gives the published widths NCI1 37,
  NCI109 38, PROTEINS 3, DD 89; the number of DISTINCT labels would give DD 82 (DD's labels
  1..89 skip 7 values). Data sets without node labels get no ``feat`` (featurise them by degree).
* the graph label mapped to 0..C-1 in increasing order of the raw values
  (``np.unique(..., return_inverse=True)``); ``TUData.label_values[c]`` is the raw value of class c.

Parsing is vectorised numpy (DD, 1.7M edge lines, parses in about 2 s); the result is cached under
``<data root>/tu/processed/NAME-<key>.pt`` as a dict of tensors (``torch.load(weights_only=True)``),
written to a temporary file and renamed into place. The key (:func:`hma_graph.data.cache.cache_key`)
hashes the zip's registered (or accepted, :func:`~hma_graph.data.fetch.expected_sha256`) SHA-256,
the data set name and :data:`PARSER_VERSION`, so a new zip or parser never reads a stale cache; an
unreadable cache is parsed again.

:func:`tu_size_shift` applies :func:`hma_graph.data.splits.size_shift_split` (docs/PROTOCOLS.md,
section B): NCI1 1942/215/412, NCI109 1872/207/421, PROTEINS 511/56/112, DD 533/59/118
(train/valid/test).
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple, Union

import numpy as np
import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

from .._atomic import torch_save_atomic  # noqa: E402
from .cache import cache_key, load_torch_cache  # noqa: E402
from .fetch import SOURCES, data_root, expected_sha256, fetch  # noqa: E402
from .splits import size_shift_split  # noqa: E402

__all__ = ["TUData", "TU_NAMES", "PARSER_VERSION", "read_tu_zip", "load_tu", "tu_size_shift"]

PARSER_VERSION = 1

#: Data sets with a registered raw zip (``tu/NAME.zip`` rows of sources.csv).
TU_NAMES = tuple(sorted(k[len("tu/"):-len(".zip")] for k in SOURCES
                        if k.startswith("tu/") and k.endswith(".zip")))

#: Data sets whose node labels are the node features of the protocol (must be in the zip).
_NEEDS_NODE_LABELS = frozenset({"NCI1", "NCI109", "PROTEINS", "DD"})

_CACHE_FIELDS = ("version", "num_nodes", "num_edges", "src", "dst", "node_labels", "feat_dim",
                 "graph_labels", "label_values")


class TUData(NamedTuple):
    """A parsed TU data set.

    graphs: G DGL graphs (``ndata["feat"]`` (n_i, feat_dim) float32 one-hot when feat_dim > 0).
    labels: (G,) int64 tensor of classes 0..num_classes-1.
    num_nodes: (G,) np.int64 node counts.
    num_classes: C.
    feat_dim: one-hot node-label width F (0: the data set has no node labels).
    label_values: raw graph label of each class, length C.
    """
    graphs: List["dgl.DGLGraph"]
    labels: torch.Tensor
    num_nodes: np.ndarray
    num_classes: int
    feat_dim: int
    label_values: Tuple[int, ...]


def _check_name(name: str) -> None:
    if name not in TU_NAMES:
        raise ValueError(f"unknown TU data set {name!r}; available: {list(TU_NAMES)}")


def _find_member(zf: zipfile.ZipFile, name: str, suffix: str, zip_path) -> Optional[str]:
    want = f"{name}_{suffix}.txt"
    hits = [m for m in zf.namelist() if m.rsplit("/", 1)[-1] == want]
    if len(hits) > 1:
        raise ValueError(f"{zip_path}: several members named {want}: {hits}")
    return hits[0] if hits else None


def _read_ints(zf: zipfile.ZipFile, member: str, zip_path, columns: int) -> np.ndarray:
    data = zf.read(member)
    if not data.strip():
        return np.zeros((0, columns) if columns > 1 else (0,), dtype=np.int64)
    try:
        arr = np.loadtxt(io.BytesIO(data), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as e:
        raise ValueError(f"{zip_path}:{member}: not a table of integers ({e})") from e
    if arr.shape[1] != columns:
        raise ValueError(f"{zip_path}:{member}: expected {columns} column(s) per line, "
                         f"got {arr.shape[1]}")
    return arr if columns > 1 else arr[:, 0]



def nodes_per_graph(indicator: np.ndarray, num_graphs: int, indicator_file: str, labels_file: str
                    ) -> np.ndarray:
    """Node count of each graph from a sorted, 1-based graph-indicator array (one id per node).

    Raises ValueError naming the files when the ids are unsorted, out of 1..num_graphs, or leave a
    graph without nodes. Shared by the TU and SentiGraph raw formats.
    """
    if np.any(np.diff(indicator) < 0):
        raise ValueError(f"{indicator_file} is not sorted by graph id")
    if indicator[0] < 1 or indicator[-1] > num_graphs:
        raise ValueError(f"graph ids in {indicator_file} span {indicator[0]}..{indicator[-1]} but "
                         f"{labels_file} has {num_graphs} labels (inconsistent lengths)")
    counts = np.bincount(indicator - 1, minlength=num_graphs).astype(np.int64)
    if np.any(counts == 0):
        empty = (np.flatnonzero(counts == 0) + 1)[:10].tolist()
        raise ValueError(f"graph(s) {empty} have no nodes in {indicator_file} "
                         f"(inconsistent with {num_graphs} labels in {labels_file})")
    return counts

def read_tu_zip(zip_path: Union[str, Path], name: str) -> Dict[str, torch.Tensor]:
    """Parse a TU zip into flat tensors (the cache format; no DGL objects).

    Returns a dict with ``num_nodes`` (G,), ``num_edges`` (G,) directed edges per graph after
    symmetrisation, ``src``/``dst`` (E,) LOCAL node ids grouped by graph and sorted by (src, dst),
    ``node_labels`` (N,) 0-based (empty when absent), ``feat_dim``, ``graph_labels`` (G,) 0..C-1,
    ``label_values`` (C,) raw labels, ``version``. All int64 tensors.
    Raises FileNotFoundError for a missing member, ValueError for inconsistent files.
    """
    zip_path = Path(zip_path)
    edges, indicator, graph_raw, node_raw = _read_members(zip_path, name)
    num_graphs, num_total = graph_raw.size, indicator.size
    if num_total == 0 or num_graphs == 0:
        raise ValueError(f"{zip_path}: no nodes or no graphs")
    num_nodes = nodes_per_graph(indicator, num_graphs, f"{zip_path}: {name}_graph_indicator.txt",
                                f"{name}_graph_labels.txt")
    if node_raw is not None and node_raw.size != num_total:
        raise ValueError(f"{zip_path}: {name}_node_labels.txt has {node_raw.size} lines but "
                         f"{name}_graph_indicator.txt has {num_total} (inconsistent lengths)")
    graph_of = indicator - 1
    src, dst = _undirected_edges(edges, graph_of, f"{zip_path}: {name}_A.txt")
    num_edges = np.bincount(graph_of[src], minlength=num_graphs).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(num_nodes)[:-1]])
    src_local = src - offset[graph_of[src]]
    dst_local = dst - offset[graph_of[src]]

    label_values, graph_labels = np.unique(graph_raw, return_inverse=True)
    if node_raw is not None:
        node_labels = node_raw - node_raw.min()
        feat_dim = int(node_labels.max()) + 1
    else:
        node_labels, feat_dim = np.zeros(0, dtype=np.int64), 0
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.int64))  # noqa: E731
    return {
        "version": torch.tensor(PARSER_VERSION),
        "num_nodes": t(num_nodes),
        "num_edges": t(num_edges),
        "src": t(src_local),
        "dst": t(dst_local),
        "node_labels": t(node_labels),
        "feat_dim": torch.tensor(feat_dim),
        "graph_labels": t(graph_labels.reshape(-1)),
        "label_values": t(label_values),
    }


def _read_members(zip_path: Path, name: str):
    """The zip's edge list (E, 2), graph indicator (N,), graph labels (G,) and node labels (N,) or
    None where the data set has none (1-based ints as in the files)."""
    with zipfile.ZipFile(zip_path) as zf:
        members = {}
        for suffix in ("A", "graph_indicator", "graph_labels", "node_labels"):
            members[suffix] = _find_member(zf, name, suffix, zip_path)
        optional = {"node_labels"} if name not in _NEEDS_NODE_LABELS else set()
        for suffix, member in members.items():
            if member is None and suffix not in optional:
                raise FileNotFoundError(f"{zip_path}: no {name}_{suffix}.txt in the zip "
                                        f"(members: {zf.namelist()})")
        edges = _read_ints(zf, members["A"], zip_path, 2)
        indicator = _read_ints(zf, members["graph_indicator"], zip_path, 1)
        graph_raw = _read_ints(zf, members["graph_labels"], zip_path, 1)
        node_raw = (_read_ints(zf, members["node_labels"], zip_path, 1)
                    if members["node_labels"] is not None else None)
    return edges, indicator, graph_raw, node_raw


def _undirected_edges(edges: np.ndarray, graph_of: np.ndarray, where: str):
    """1-based global edge list (E, 2) -> 0-based (src, dst) of its symmetric closure without
    duplicates or self-loops, sorted by (src, dst), hence grouped by graph (``graph_of``: (N,)
    0-based graph of each node). Edges outside 1..N or across graphs raise."""
    num_total = graph_of.size
    if edges.size and (edges.min() < 1 or edges.max() > num_total):
        raise ValueError(f"{where}: node ids must lie in 1..{num_total}, got {edges.min()}..{edges.max()}")
    u, v = edges[:, 0] - 1, edges[:, 1] - 1
    cross = graph_of[u] != graph_of[v]
    if np.any(cross):
        i = int(np.flatnonzero(cross)[0])
        raise ValueError(f"{where}: edge {i + 1} joins nodes of graphs {graph_of[u[i]] + 1} and {graph_of[v[i]] + 1}")
    loop = u == v
    u, v = u[~loop], v[~loop]
    # sort + adjacent comparison: numpy 2.x's hash-based np.unique is ~100x slower on 3M int64
    key = np.sort(np.concatenate([u * num_total + v, v * num_total + u]))
    if key.size:
        key = key[np.concatenate([[True], key[1:] != key[:-1]])]
    return key // num_total, key % num_total


def _build_graphs(arrays: Dict[str, torch.Tensor]) -> List["dgl.DGLGraph"]:
    num_nodes = arrays["num_nodes"].tolist()
    num_edges = arrays["num_edges"].tolist()
    feat_dim = int(arrays["feat_dim"])
    src, dst, node_labels = arrays["src"], arrays["dst"], arrays["node_labels"]
    graphs, n0, e0 = [], 0, 0
    for n, e in zip(num_nodes, num_edges):
        g = dgl.graph((src[e0:e0 + e], dst[e0:e0 + e]), num_nodes=n, idtype=torch.int64)
        if feat_dim:
            g.ndata["feat"] = torch.zeros(n, feat_dim).scatter_(1, node_labels[n0:n0 + n, None], 1.0)
        graphs.append(g)
        n0, e0 = n0 + n, e0 + e
    return graphs


def _cache_path(name: str, base: Path) -> Path:
    digest = cache_key(expected_sha256(f"tu/{name}.zip"), name, PARSER_VERSION)
    return base / "processed" / f"{name}-{digest[:16]}.pt"


def _load_cache(path: Path) -> Optional[Dict[str, torch.Tensor]]:
    """The cached arrays, or None when missing, corrupt, incomplete or of another parser version."""
    return load_torch_cache(path, required=_CACHE_FIELDS, version=PARSER_VERSION)


def load_tu(name: str, root: Optional[Union[str, Path]] = None) -> TUData:
    """Load the TU data set ``name`` (one of :data:`TU_NAMES`), parsing once and caching.

    ``root``: data root (default :func:`hma_graph.data.fetch.data_root`); the zip lives in
    ``root/tu`` (fetched from the mirror or the official URL when missing), the cache in
    ``root/tu/processed``.
    """
    _check_name(name)
    base = (Path(root).expanduser() if root is not None else data_root()) / "tu"
    zip_path = fetch(f"tu/{name}.zip", dest_dir=base)
    cache = _cache_path(name, base)
    arrays = _load_cache(cache)
    if arrays is None:
        arrays = read_tu_zip(zip_path, name)
        torch_save_atomic(arrays, cache)
    labels = arrays["graph_labels"].clone()
    label_values = tuple(int(x) for x in arrays["label_values"].tolist())
    return TUData(
        graphs=_build_graphs(arrays),
        labels=labels,
        num_nodes=arrays["num_nodes"].numpy().copy(),
        num_classes=len(label_values),
        feat_dim=int(arrays["feat_dim"]),
        label_values=label_values,
    )


def tu_size_shift(name: str, seed: int, root: Optional[Union[str, Path]] = None
                  ) -> Tuple[List["dgl.DGLGraph"], torch.Tensor, Dict[str, np.ndarray]]:
    """``(graphs, labels, split)`` of the size-shift protocol (docs/PROTOCOLS.md, section B).

    ``split`` = :func:`~hma_graph.data.splits.size_shift_split` of the node counts with ``seed``.
    """
    data = load_tu(name, root)
    return data.graphs, data.labels, size_shift_split(data.num_nodes, seed)
