"""TU loader and size-shift split: published counts on the mirror, format rules on generated zips."""
import os
import zipfile

import numpy as np
import pytest
import torch

from hma_graph.data import tu
from hma_graph.data.tu import load_tu, read_tu_zip, tu_size_shift

# published: graphs, one-hot width, P50/P90 of node counts, train/valid/test of the size shift
PUBLISHED = {
    "NCI1": (4110, 37, 27, 46, (1942, 215, 412)),
    "NCI109": (4127, 38, 26, 46, (1872, 207, 421)),
    "DD": (1178, 89, 241, 500.9, (533, 59, 118)),
    "PROTEINS": (1113, 3, None, None, None),  # protocol: "about 511/56/112"
}


@pytest.fixture(scope="module")
def tu_root(tmp_path_factory):
    """The mirror with one data root for the whole module (each data set is parsed once)."""
    if not os.environ.get("HMA_GRAPH_MIRROR"):
        pytest.skip("HMA_GRAPH_MIRROR is not set (the offline data mirror)")
    root = tmp_path_factory.mktemp("tu_data")
    mp = pytest.MonkeyPatch()
    mp.setenv("HMA_GRAPH_DATA", str(root))
    yield root
    mp.undo()


_LOADED = {}


@pytest.fixture
def loaded(tu_root):
    def get(name):
        if name not in _LOADED:
            _LOADED[name] = load_tu(name)
        return _LOADED[name]
    return get


def _raw(name, suffix):
    """Independent plain-Python reading of one raw file from the mirror zip."""
    path = os.path.join(os.environ["HMA_GRAPH_MIRROR"], "tu", f"{name}.zip")
    with zipfile.ZipFile(path) as zf:
        text = zf.read(f"{name}/{name}_{suffix}.txt").decode()
    return [[int(x) for x in line.split(",")] for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_published_counts(loaded, name):
    graphs_count, width, p50, p90, sizes = PUBLISHED[name]
    data = loaded(name)
    assert len(data.graphs) == graphs_count == data.labels.numel() == data.num_nodes.size
    assert data.feat_dim == width
    assert data.num_classes == 2 and set(data.labels.tolist()) == {0, 1}
    assert all(g.ndata["feat"].shape == (g.num_nodes(), width) for g in data.graphs[:50])
    np.testing.assert_array_equal(data.num_nodes, [g.num_nodes() for g in data.graphs])
    if p50 is not None:
        got50, got90 = np.percentile(data.num_nodes, [50, 90])
        assert got50 == pytest.approx(p50) and got90 == pytest.approx(p90, abs=1e-6)
    _, _, split = tu_size_shift(name, seed=0)
    n = data.num_nodes
    p50_, p90_ = np.percentile(n, [50, 90])
    assert np.all(n[split["test"]] >= p90_)
    assert np.all(n[np.concatenate([split["train"], split["valid"]])] <= p50_)
    got = (split["train"].size, split["valid"].size, split["test"].size)
    if sizes is not None:
        assert got == sizes
    else:  # PROTEINS: pool = graphs <= 26 nodes
        pool = int((n <= p50_).sum())
        assert got == (pool - pool // 10, pool // 10, int((n >= p90_).sum()))
        print(f"PROTEINS size shift train/valid/test = {got}")


def test_nci1_edges_features_labels_match_raw_files(loaded):
    data = loaded("NCI1")
    indicator = np.array(_raw("NCI1", "graph_indicator"))[:, 0]
    node_labels = np.array(_raw("NCI1", "node_labels"))[:, 0]
    graph_labels = np.array(_raw("NCI1", "graph_labels"))[:, 0]
    starts = np.concatenate([[0], np.cumsum(np.bincount(indicator)[1:])])
    # undirected edge sets per graph from the raw pairs, via Python sets
    per_graph = [set() for _ in data.graphs]
    for a, b in _raw("NCI1", "A"):
        gi = indicator[a - 1] - 1
        per_graph[gi].add((a - 1 - starts[gi], b - 1 - starts[gi]))
        per_graph[gi].add((b - 1 - starts[gi], a - 1 - starts[gi]))
    for gi in range(0, len(data.graphs), 37):
        g = data.graphs[gi]
        u, v = g.edges()
        pairs = list(zip(u.tolist(), v.tolist()))
        assert len(pairs) == len(set(pairs))  # each direction once
        assert set(pairs) == per_graph[gi]
        lab = node_labels[starts[gi]:starts[gi + 1]] - 1  # NCI1 labels are 1..37
        np.testing.assert_array_equal(g.ndata["feat"].argmax(1).numpy(), lab)
        assert torch.all(g.ndata["feat"].sum(1) == 1)
    np.testing.assert_array_equal(data.labels.numpy(), graph_labels)  # NCI1 labels are already 0/1
    assert sum(g.num_edges() for g in data.graphs) == sum(len(s) for s in per_graph)


def test_label_mapping_and_imdb_duplicates(loaded):
    prot = loaded("PROTEINS")
    raw = np.array(_raw("PROTEINS", "graph_labels"))[:, 0]
    assert prot.label_values == (1, 2)
    np.testing.assert_array_equal(prot.labels.numpy(), raw - 1)
    imdb = loaded("IMDB-MULTI")
    assert imdb.label_values == (1, 2, 3) and imdb.feat_dim == 0
    assert "feat" not in imdb.graphs[0].ndata
    raw_pairs = _raw("IMDB-MULTI", "A")
    unique_directed = {tuple(p) for p in raw_pairs}
    assert len(raw_pairs) == 2 * len(unique_directed)  # the quirk: every edge listed twice
    assert sum(g.num_edges() for g in imdb.graphs) == len(unique_directed)


def test_cache_is_reused(loaded, tu_root, monkeypatch):
    first = loaded("PROTEINS")
    cache = list((tu_root / "tu" / "processed").glob("PROTEINS-*.pt"))
    assert len(cache) == 1
    assert not list((tu_root / "tu" / "processed").glob(".*part"))
    assert torch.load(cache[0], weights_only=True)["version"] == tu.PARSER_VERSION

    def no_parse(*a, **k):
        raise AssertionError("parsed again despite a cache")
    monkeypatch.setattr(tu, "read_tu_zip", no_parse)
    again = load_tu("PROTEINS")
    assert torch.equal(again.labels, first.labels)
    for g, h in zip(again.graphs[::100], first.graphs[::100]):
        assert torch.equal(torch.stack(g.edges()), torch.stack(h.edges()))
        assert torch.equal(g.ndata["feat"], h.ndata["feat"])
    cache[0].write_bytes(b"truncated")  # a corrupt cache is parsed again, not trusted
    monkeypatch.undo()
    third = load_tu("PROTEINS")
    assert torch.equal(third.labels, first.labels)


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown TU data set"):
        load_tu("NOPE")


# ---------------------------------------------------------------- generated zips (no mirror)
def _write_zip(path, name, files):
    with zipfile.ZipFile(path, "w") as zf:
        for suffix, lines in files.items():
            zf.writestr(f"{name}/{name}_{suffix}.txt", "\n".join(lines) + "\n")
    return path


# two graphs: nodes 1-3 (graph 1), nodes 4-5 (graph 2). Raw edges: 1->2 twice, 2->1, 2->3 only
# one direction, a self-loop 3->3, 4->5. Node labels 2, 5, 2, 3, 5 -> 0-based 0, 3, 0, 1, 3, F = 4.
SMALL = {
    "A": ["1, 2", "1, 2", "2, 1", "2, 3", "3, 3", "4, 5"],
    "graph_indicator": ["1", "1", "1", "2", "2"],
    "graph_labels": ["-1", "1"],
    "node_labels": ["2", "5", "2", "3", "5"],
}


def test_small_zip_rules(tmp_path):
    arrays = read_tu_zip(_write_zip(tmp_path / "NCI1.zip", "NCI1", SMALL), "NCI1")
    assert arrays["num_nodes"].tolist() == [3, 2]
    assert arrays["num_edges"].tolist() == [4, 2]
    assert list(zip(arrays["src"].tolist(), arrays["dst"].tolist())) == [
        (0, 1), (1, 0), (1, 2), (2, 1), (0, 1), (1, 0)]
    assert arrays["node_labels"].tolist() == [0, 3, 0, 1, 3] and int(arrays["feat_dim"]) == 4
    assert arrays["graph_labels"].tolist() == [0, 1] and arrays["label_values"].tolist() == [-1, 1]
    graphs = tu._build_graphs(arrays)
    assert graphs[1].ndata["feat"].tolist() == [[0, 1, 0, 0], [0, 0, 0, 1]]


@pytest.mark.parametrize("change, match", [
    ({"graph_labels": ["0"]}, "inconsistent"),
    ({"graph_labels": ["0", "1", "0"]}, "no nodes"),
    ({"node_labels": ["1", "2"]}, "inconsistent"),
    ({"A": ["1, 4"]}, "joins nodes of graphs 1 and 2"),
    ({"A": ["1, 9"]}, "must lie in"),
    ({"graph_indicator": ["1", "2", "1", "2", "2"]}, "not sorted"),
    ({"A": ["1 2 3"]}, "column"),
])
def test_small_zip_errors(tmp_path, change, match):
    path = _write_zip(tmp_path / "NCI1.zip", "NCI1", {**SMALL, **change})
    with pytest.raises(ValueError, match=match):
        read_tu_zip(path, "NCI1")


def test_small_zip_missing_member(tmp_path):
    files = {k: v for k, v in SMALL.items() if k != "node_labels"}
    with pytest.raises(FileNotFoundError, match="NCI1_node_labels.txt"):
        read_tu_zip(_write_zip(tmp_path / "NCI1.zip", "NCI1", files), "NCI1")
    # node labels are optional for the featureless social data sets
    arrays = read_tu_zip(_write_zip(tmp_path / "IMDB-BINARY.zip", "IMDB-BINARY", files), "IMDB-BINARY")
    assert int(arrays["feat_dim"]) == 0 and arrays["node_labels"].numel() == 0


def test_reddit_binary_labels_map_to_0_and_1(loaded):
    red = loaded("REDDIT-BINARY")
    assert len(red.label_values) == 2 and sorted(red.labels.unique().tolist()) == [0, 1]
    assert red.labels.bincount().tolist() == [1000, 1000]     # the published class sizes
    assert red.feat_dim == 0 and len(red.graphs) == 2000


def test_degree_features_one_hot_and_standardised():
    import dgl

    from hma_graph.data.features import degree_features

    star = dgl.graph(([0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]), num_nodes=4)   # degrees 3, 1, 1, 1
    path = dgl.graph(([0, 1, 1, 2], [1, 0, 2, 1]), num_nodes=3)               # degrees 1, 2, 1
    degree_features([star, path])
    assert star.ndata["feat"].tolist() == [[0, 0, 0, 1], [0, 1, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
    assert path.ndata["feat"].argmax(1).tolist() == [1, 2, 1]
    n = 2001                                                                  # a star with degree 2000
    big = dgl.graph((torch.cat([torch.zeros(n - 1, dtype=torch.long), torch.arange(1, n)]),
                     torch.cat([torch.arange(1, n), torch.zeros(n - 1, dtype=torch.long)])), num_nodes=n)
    degree_features([big])
    z = big.ndata["feat"]
    degs = torch.tensor([2000.0] + [1.0] * 2000)
    assert z.shape == (n, 1) and torch.allclose(z.view(-1), (degs - degs.mean()) / degs.std())


def test_random_split_70_10_20():
    from hma_graph.data.splits import random_split

    s = random_split(1000, 1314)
    assert [len(s[k]) for k in ("train", "valid", "test")] == [700, 100, 200]
    assert sorted(np.concatenate(list(s.values())).tolist()) == list(range(1000))
    assert not np.array_equal(random_split(1000, 11314)["test"], s["test"])
    assert np.array_equal(random_split(1000, 1314)["test"], s["test"])
