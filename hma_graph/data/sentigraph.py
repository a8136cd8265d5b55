"""DIG's SentiGraph text-sentiment graphs (Graph-SST5, Graph-Twitter, Graph-SST2) and the degree shift.

Raw files in ``raw_dir`` for a data set NAME (the format read by DIG's ``read_sentigraph_data``,
``dig/xgraph/dataset/nlp_dataset.py``, which CIGA copies); N nodes over all graphs, G graphs:

* ``NAME_node_features.pkl``   a pickled numpy array (N, F), F = 768 BERT word vectors, the
                               nodes of all graphs concatenated in graph order
* ``NAME_edge_index.txt``      (M, 2) lines ``u v`` (whitespace separated; commas also accepted):
                               one directed dependency edge between 0-based GLOBAL node ids (row
                               index into the feature array); both ends in the same graph
* ``NAME_node_indicator.txt``  (N,) 1-based graph id of every node, non-decreasing
* ``NAME_graph_labels.txt``    (G,) class 0..C-1 (SST5: C = 5, Twitter: 3, SST2: 2)
* ``NAME_sentence_tokens.json`` optional; a dict graph id -> list of tokens

Each graph i (n_i nodes, m_i raw edges) becomes a ``dgl.DGLGraph`` with local node ids
(global id - first id of the graph), ``ndata["feat"]`` (n_i, F) float32 and 2 m_i directed edges:
the raw edges followed by their reverses, without de-duplication, as DIG's ``undirected_graph``
pre-transform does (so ``num_edges`` counts exactly what CIGA's degree split counts). DIG slices
edges assuming they are grouped by graph; here edges may come in any order (each is assigned to
the graph of its source node, keeping file order within a graph).

The pickle is read with a restricted unpickler that only resolves numpy's array-reconstruction
functions, so a malicious file cannot run code.

:func:`sentigraph_degree_shift` applies :func:`hma_graph.data.splits.degree_shift_split` with
mode "sst5" for Graph-SST5 and "twitter" for Graph-Twitter (docs/PROTOCOLS.md, section C).
"""
from __future__ import annotations

import importlib
import io
import json
import pickle
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Tuple, Union

import numpy as np
import torch

from .. import _compat

_compat.install()
import dgl  # noqa: E402

from .splits import degree_shift_split  # noqa: E402
from .tu import nodes_per_graph  # noqa: E402

__all__ = ["SENTIGRAPH_CLASSES", "SentiGraphData", "load_sentigraph", "sentigraph_degree_shift"]

#: Known data sets and their number of classes.
SENTIGRAPH_CLASSES = {"Graph-SST5": 5, "Graph-Twitter": 3, "Graph-SST2": 2}
_DEGREE_MODE = {"Graph-SST5": "sst5", "Graph-Twitter": "twitter"}

_ALLOWED_GLOBALS = {
    ("numpy._core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "scalar"),
    ("numpy._core.numeric", "_frombuffer"), ("numpy", "ndarray"), ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class SentiGraphData(NamedTuple):
    """A loaded SentiGraph data set.

    graphs: G DGL graphs with ``ndata["feat"]`` (n_i, F) float32.
    labels: (G,) int64 tensor.
    num_nodes: (G,) np.int64 node counts.
    num_edges: (G,) np.int64 directed edge counts (2 x raw edges).
    num_classes: C.
    sentence_tokens: the G token lists in graph order, or None when the json file is absent.
    """
    graphs: List["dgl.DGLGraph"]
    labels: torch.Tensor
    num_nodes: np.ndarray
    num_edges: np.ndarray
    num_classes: int
    sentence_tokens: Optional[List[list]]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        # numpy 1.x writes numpy.core.*, numpy 2.x numpy._core.*: compare in the 2.x spelling,
        # import whichever this numpy has
        canon = module
        if module.startswith("numpy.core"):
            canon = "numpy._core" + module[len("numpy.core"):]
        if (canon, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: node_features.pkl may only hold a numpy array")
        try:
            mod = importlib.import_module(canon)
        except ImportError:  # numpy < 2
            mod = importlib.import_module(canon.replace("numpy._core", "numpy.core", 1))
        return getattr(mod, name)


def _check_name(name: str) -> None:
    if name not in SENTIGRAPH_CLASSES:
        raise ValueError(f"unknown SentiGraph data set {name!r}; known: {sorted(SENTIGRAPH_CLASSES)}")


def _path(raw_dir: Path, name: str, suffix: str) -> Path:
    path = raw_dir / f"{name}_{suffix}"
    if not path.is_file():
        raise FileNotFoundError(f"missing SentiGraph file {path}")
    return path


def _read_ints(path: Path, columns: int) -> np.ndarray:
    text = path.read_bytes().replace(b",", b" ")
    if not text.strip():
        return np.zeros((0, columns) if columns > 1 else (0,), dtype=np.int64)
    try:
        arr = np.loadtxt(io.BytesIO(text), dtype=np.int64, ndmin=2)
    except ValueError as e:
        raise ValueError(f"{path}: not a table of integers ({e})") from e
    if arr.shape[1] != columns:
        raise ValueError(f"{path}: expected {columns} column(s) per line, got {arr.shape[1]}")
    return arr if columns > 1 else arr[:, 0]


def _read_features(path: Path) -> np.ndarray:
    with open(path, "rb") as f:
        try:
            obj = _NumpyOnlyUnpickler(f).load()
        except pickle.UnpicklingError:
            raise
        except Exception as e:
            raise ValueError(f"{path}: not a readable pickle ({e})") from e
    try:
        x = np.asarray(obj, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{path}: expected an (N, F) numeric array ({e})") from e
    if x.ndim != 2:
        raise ValueError(f"{path}: expected an (N, F) array of node features, got shape {x.shape}")
    return x


def _read_tokens(path: Path, num_graphs: int) -> List[list]:
    with open(path, encoding="utf-8") as f:
        tokens = json.load(f)
    if isinstance(tokens, dict):
        keys = list(tokens)
        if all(isinstance(k, str) and k.lstrip("-").isdigit() for k in keys):
            keys.sort(key=int)
        tokens = [tokens[k] for k in keys]
    if not isinstance(tokens, list) or len(tokens) != num_graphs:
        got = len(tokens) if isinstance(tokens, list) else type(tokens).__name__
        raise ValueError(f"{path}: expected {num_graphs} token lists (one per graph), got {got}")
    return tokens


def load_sentigraph(name: str, raw_dir: Union[str, Path]) -> SentiGraphData:
    """Load ``name`` (a key of :data:`SENTIGRAPH_CLASSES`) from the DIG raw files in ``raw_dir``.

    Raises FileNotFoundError for a missing file and ValueError for inconsistent files (lengths,
    node ids out of range, edges joining two graphs, graphs without nodes, labels out of range).
    """
    _check_name(name)
    raw_dir = Path(raw_dir).expanduser()
    x = _read_features(_path(raw_dir, name, "node_features.pkl"))
    edges = _read_ints(_path(raw_dir, name, "edge_index.txt"), 2)
    indicator = _read_ints(_path(raw_dir, name, "node_indicator.txt"), 1)
    y = _read_ints(_path(raw_dir, name, "graph_labels.txt"), 1)
    tokens_path = raw_dir / f"{name}_sentence_tokens.json"

    num_total, num_graphs, num_classes = indicator.size, y.size, SENTIGRAPH_CLASSES[name]
    if num_total == 0 or num_graphs == 0:
        raise ValueError(f"{raw_dir}: {name} has no nodes or no graphs")
    if x.shape[0] != num_total:
        raise ValueError(f"{name}_node_features.pkl has {x.shape[0]} rows but "
                         f"{name}_node_indicator.txt has {num_total} nodes (inconsistent lengths)")
    num_nodes = nodes_per_graph(indicator, num_graphs, f"{name}_node_indicator.txt",
                                f"{name}_graph_labels.txt")
    if np.any((y < 0) | (y >= num_classes)):
        bad = int(y[(y < 0) | (y >= num_classes)][0])
        raise ValueError(f"{name}_graph_labels.txt: label {bad} outside 0..{num_classes - 1}")
    if edges.size and (edges.min() < 0 or edges.max() >= num_total):
        raise ValueError(f"{name}_edge_index.txt: node ids must be 0-based global ids in "
                         f"0..{num_total - 1}, got {edges.min()}..{edges.max()}")

    graph_of = indicator - 1
    u, v = edges[:, 0], edges[:, 1]
    cross = graph_of[u] != graph_of[v]
    if np.any(cross):
        i = int(np.flatnonzero(cross)[0])
        raise ValueError(f"{name}_edge_index.txt line {i + 1}: edge joins graphs "
                         f"{graph_of[u[i]] + 1} and {graph_of[v[i]] + 1}")
    order = np.argsort(graph_of[u], kind="stable")
    u, v = u[order], v[order]
    raw_edges = np.bincount(graph_of[u], minlength=num_graphs).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(num_nodes)[:-1]])
    u_loc = torch.from_numpy(u - offset[graph_of[u]])
    v_loc = torch.from_numpy(v - offset[graph_of[v]])
    feats = torch.split(torch.from_numpy(x), num_nodes.tolist())
    us = torch.split(u_loc, raw_edges.tolist())
    vs = torch.split(v_loc, raw_edges.tolist())
    graphs = []
    for n, f, a, b in zip(num_nodes.tolist(), feats, us, vs):
        g = dgl.graph((torch.cat([a, b]), torch.cat([b, a])), num_nodes=n, idtype=torch.int64)
        g.ndata["feat"] = f.clone()
        graphs.append(g)
    tokens = _read_tokens(tokens_path, num_graphs) if tokens_path.is_file() else None
    return SentiGraphData(graphs=graphs, labels=torch.from_numpy(y.copy()), num_nodes=num_nodes,
                          num_edges=2 * raw_edges, num_classes=num_classes, sentence_tokens=tokens)


def sentigraph_degree_shift(name: str, raw_dir: Union[str, Path]
                            ) -> Tuple[List["dgl.DGLGraph"], torch.Tensor, Dict[str, np.ndarray]]:
    """``(graphs, labels, split)`` of the degree-shift protocol (docs/PROTOCOLS.md, section C).

    Graph-SST5: train on low average degree, test on high; Graph-Twitter: the reverse.
    """
    _check_name(name)
    if name not in _DEGREE_MODE:
        raise ValueError(f"no degree-shift protocol for {name!r}; use one of {sorted(_DEGREE_MODE)}")
    data = load_sentigraph(name, raw_dir)
    split = degree_shift_split(data.num_nodes, data.num_edges, mode=_DEGREE_MODE[name])
    return data.graphs, data.labels, split
