"""SentiGraph loader and degree-shift split on small files written in DIG's raw format."""
import json
import os
import pickle

import numpy as np
import pytest
import torch

from hma_graph.data.sentigraph import load_sentigraph, sentigraph_degree_shift

# Ten path graphs ("dependency trees") in this file order, sizes n -> n - 1 raw edges,
# 2 (n - 1) directed edges after adding reverses, average degree d(n) = 2 (n - 1) / n:
#   index: 0  1  2   3  4  5  6  7  8   9
#   n    : 7  3  11  9  2  5  8  4  10  6
SIZES = [7, 3, 11, 9, 2, 5, 8, 4, 10, 6]
# d increases with n: sorted by n = 2..11. Percentiles over the 10 degrees (linear):
#   P20 at position 1.8 (between n=3 and n=4), P50 at 4.5 (between n=6 and n=7),
#   P80 at 7.2 (between n=9 and n=10). The n=2 graph (index 4) has 2 directed edges: dropped.
# n_valid = int(0.1 * 10 + 0.5) = 1.
# SST5   : train d <= P50 -> n in {3,4,5,6} = [1, 5, 7, 9]; test d > P80 -> n in {10,11} = [2, 8];
#          band n in {7,8,9} = [0, 3, 6] -> valid [0]
# Twitter: train d > P50 -> n in {7..11} = [0, 2, 3, 6, 8]; test d <= P20 -> n = 3 = [1];
#          band n in {4,5,6} = [5, 7, 9] -> valid [5]
EXPECTED = {
    "Graph-SST5": {"train": [1, 5, 7, 9], "valid": [0], "test": [2, 8]},
    "Graph-Twitter": {"train": [0, 2, 3, 6, 8], "valid": [5], "test": [1]},
}
F = 768


def write_sentigraph(raw_dir, name, sizes=SIZES, labels=None, protocol=4, shuffle_edges=True,
                     edges=None):
    """Write DIG's five raw files; node i's feature row is [i, graph id, 0, ...]."""
    num_classes = {"Graph-SST5": 5, "Graph-Twitter": 3, "Graph-SST2": 2}[name]
    labels = [i % num_classes for i in range(len(sizes))] if labels is None else labels
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    x = np.zeros((offsets[-1], F), dtype=np.float32)
    x[:, 0] = np.arange(offsets[-1])
    if edges is None:  # path 0-1-2-..., global 0-based ids, one direction
        edges = [(offsets[g] + k, offsets[g] + k + 1)
                 for g, n in enumerate(sizes) for k in range(n - 1)]
    if shuffle_edges:  # DIG groups edges by graph; the loader must not depend on it
        edges = [edges[i] for i in np.random.default_rng(0).permutation(len(edges))]
    indicator = [g + 1 for g, n in enumerate(sizes) for _ in range(n)]
    x[:, 1] = indicator
    os.makedirs(raw_dir, exist_ok=True)
    with open(os.path.join(raw_dir, f"{name}_node_features.pkl"), "wb") as f:
        pickle.dump(x, f, protocol=protocol)
    with open(os.path.join(raw_dir, f"{name}_edge_index.txt"), "w") as f:
        f.writelines(f"{u} {v}\n" for u, v in edges)
    with open(os.path.join(raw_dir, f"{name}_node_indicator.txt"), "w") as f:
        f.writelines(f"{g}\n" for g in indicator)
    with open(os.path.join(raw_dir, f"{name}_graph_labels.txt"), "w") as f:
        f.writelines(f"{y}\n" for y in labels)
    tokens = {str(g): [f"w{g}_{k}" for k in range(n)] for g, n in enumerate(sizes)}
    with open(os.path.join(raw_dir, f"{name}_sentence_tokens.json"), "w") as f:
        json.dump(tokens, f)
    return x, edges


def test_loader_reads_dig_format(tmp_path):
    x, edges = write_sentigraph(tmp_path, "Graph-SST5")
    data = load_sentigraph("Graph-SST5", tmp_path)
    assert len(data.graphs) == 10 and data.num_classes == 5
    assert data.labels.tolist() == [i % 5 for i in range(10)]
    assert data.num_nodes.tolist() == SIZES
    assert data.num_edges.tolist() == [2 * (n - 1) for n in SIZES]
    assert data.sentence_tokens[3] == [f"w3_{k}" for k in range(9)]
    start = 0
    for gi, (g, n) in enumerate(zip(data.graphs, SIZES)):
        assert g.num_nodes() == n
        feat = g.ndata["feat"]
        assert feat.shape == (n, F) and feat.dtype == torch.float32
        assert feat[:, 0].tolist() == list(range(start, start + n))  # the right rows, in order
        assert torch.all(feat[:, 1] == gi + 1)
        u, v = g.edges()
        got = sorted(zip(u.tolist(), v.tolist()))
        path = [(k, k + 1) for k in range(n - 1)]
        assert got == sorted(path + [(b, a) for a, b in path])  # raw edges plus their reverses
        start += n


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_degree_shift_by_hand(tmp_path, name):
    write_sentigraph(tmp_path, name)
    graphs, labels, split = sentigraph_degree_shift(name, tmp_path)
    assert len(graphs) == labels.numel() == 10
    assert {k: v.tolist() for k, v in split.items()} == EXPECTED[name]


def test_numpy1_pickle_and_no_token_file(tmp_path):
    x, _ = write_sentigraph(tmp_path, "Graph-Twitter", protocol=2)
    path = tmp_path / "Graph-Twitter_node_features.pkl"
    blob = path.read_bytes()
    assert b"numpy._core.multiarray" in blob  # protocol 2 names modules as plain text lines
    path.write_bytes(blob.replace(b"numpy._core.multiarray", b"numpy.core.multiarray"))
    os.remove(tmp_path / "Graph-Twitter_sentence_tokens.json")
    data = load_sentigraph("Graph-Twitter", tmp_path)
    assert data.sentence_tokens is None
    assert torch.equal(torch.cat([g.ndata["feat"] for g in data.graphs]), torch.from_numpy(x))


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickle_with_code_is_refused(tmp_path):
    write_sentigraph(tmp_path, "Graph-SST5")
    with open(tmp_path / "Graph-SST5_node_features.pkl", "wb") as f:
        pickle.dump(_Evil(), f)
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        load_sentigraph("Graph-SST5", tmp_path)


def _corrupt(tmp_path, suffix, text):
    (tmp_path / f"Graph-SST5_{suffix}").write_text(text)


@pytest.mark.parametrize("suffix, text, match", [
    ("edge_index.txt", "0 7\n", "joins graphs 1 and 2"),       # graph 1 has nodes 0..6
    ("edge_index.txt", "0 1000\n", "0-based global ids"),
    ("graph_labels.txt", "0\n" * 9 + "5\n", "outside 0..4"),
    ("graph_labels.txt", "0\n" * 9, "inconsistent"),
    ("graph_labels.txt", "0\n" * 11, "no nodes"),
    ("node_indicator.txt", "1\n" * 64, "65 rows but"),  # 65 nodes in the features
    ("sentence_tokens.json", json.dumps({"0": ["a"]}), "token lists"),
])
def test_errors_name_the_problem(tmp_path, suffix, text, match):
    write_sentigraph(tmp_path, "Graph-SST5")
    _corrupt(tmp_path, suffix, text)
    with pytest.raises(ValueError, match=match):
        load_sentigraph("Graph-SST5", tmp_path)


def test_missing_file_and_unknown_names(tmp_path):
    write_sentigraph(tmp_path, "Graph-SST5")
    os.remove(tmp_path / "Graph-SST5_edge_index.txt")
    with pytest.raises(FileNotFoundError, match="Graph-SST5_edge_index.txt"):
        load_sentigraph("Graph-SST5", tmp_path)
    with pytest.raises(ValueError, match="unknown SentiGraph"):
        load_sentigraph("Graph-SST7", tmp_path)
    write_sentigraph(tmp_path / "sst2", "Graph-SST2")
    assert len(load_sentigraph("Graph-SST2", tmp_path / "sst2").graphs) == 10
    with pytest.raises(ValueError, match="no degree-shift protocol"):
        sentigraph_degree_shift("Graph-SST2", tmp_path / "sst2")
