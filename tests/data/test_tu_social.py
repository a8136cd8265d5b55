"""Table 4's data rules on generated TU-format zips and graphs (no mirror needed): REDDIT-style
labels 0/2 or -1/1 become 0/1, IMDB's doubly listed edges collapse, the degree-feature rule on
both sides of max degree 2000, and the split drawn as G-Mixup's script draws it."""
import random
import zipfile

import dgl
import numpy as np
import pytest
import torch

from hma_graph.data import tu
from hma_graph.data.features import degree_features
from hma_graph.data.splits import random_split


def write_zip(path, name, edges, indicator, labels):
    """A TU zip without node labels (as IMDB-*, REDDIT-*): 1-based global node ids."""
    files = {"A": [f"{u}, {v}" for u, v in edges], "graph_indicator": [str(i) for i in indicator],
             "graph_labels": [str(y) for y in labels]}
    with zipfile.ZipFile(path, "w") as zf:
        for suffix, lines in files.items():
            zf.writestr(f"{name}/{name}_{suffix}.txt", "\n".join(lines) + "\n")
    return path


# three graphs: a triangle (nodes 1-3), an edge (4-5), a path (6-8); every edge in both directions
EDGES = [(1, 2), (2, 1), (2, 3), (3, 2), (1, 3), (3, 1), (4, 5), (5, 4), (6, 7), (7, 6), (7, 8), (8, 7)]
INDICATOR = [1, 1, 1, 2, 2, 3, 3, 3]


@pytest.mark.parametrize("raw, expected", [([0, 2, 2], [0, 1, 1]), ([-1, 1, -1], [0, 1, 0]), ([2, 0, 0], [1, 0, 0])])
def test_reddit_labels_map_to_0_and_1(tmp_path, raw, expected):
    arrays = tu.read_tu_zip(write_zip(tmp_path / "REDDIT-BINARY.zip", "REDDIT-BINARY", EDGES, INDICATOR, raw),
                            "REDDIT-BINARY")
    assert arrays["graph_labels"].tolist() == expected
    assert arrays["label_values"].tolist() == sorted(set(raw)) and int(arrays["feat_dim"]) == 0


def test_imdb_edges_listed_twice_collapse(tmp_path):
    doubled = [e for e in EDGES for _ in range(2)]           # IMDB's files list every directed edge twice
    arrays = tu.read_tu_zip(write_zip(tmp_path / "IMDB-BINARY.zip", "IMDB-BINARY", doubled, INDICATOR, [0, 1, 0]),
                            "IMDB-BINARY")
    assert arrays["num_edges"].tolist() == [6, 2, 4]          # triangle, edge, path: each direction once
    graphs = tu._build_graphs(arrays)
    assert [g.in_degrees().tolist() for g in graphs] == [[2, 2, 2], [1, 1], [1, 2, 1]]
    assert all("feat" not in g.ndata for g in graphs)


def star(leaves):
    s = torch.zeros(leaves, dtype=torch.long)
    d = torch.arange(1, leaves + 1)
    return dgl.graph((torch.cat([s, d]), torch.cat([d, s])), num_nodes=leaves + 1)


def test_degree_rule_one_hot_below_2000():
    graphs = degree_features([star(1999), star(3)])          # max degree 1999 < 2000: one-hot, 2000 wide
    a, b = graphs[0].ndata["feat"], graphs[1].ndata["feat"]
    assert a.shape == (2000, 2000) and b.shape == (4, 2000)
    assert a[0].argmax() == 1999 and a[1:].argmax(1).eq(1).all() and float(a.sum()) == 2000
    assert b.argmax(1).tolist() == [3, 1, 1, 1]


def test_degree_rule_z_scores_from_2000():
    graphs = degree_features([star(2000), star(3)])          # max degree 2000: one standardised scalar
    degs = torch.tensor([2000.0] + [1.0] * 2000 + [3.0, 1.0, 1.0, 1.0])
    mean = float(degs.sum()) / len(degs)
    sd = (float(((degs - mean) ** 2).sum()) / (len(degs) - 1)) ** 0.5   # sample std over every node
    got = torch.cat([g.ndata["feat"] for g in graphs]).view(-1)
    assert graphs[0].ndata["feat"].shape == (2001, 1)
    assert torch.allclose(got, (degs - mean) / sd, atol=1e-5)
    assert degree_features([star(5)], one_hot_below=5)[0].ndata["feat"].shape == (6, 1)   # the limit is a setting


@pytest.mark.parametrize("n, sizes", [(1000, (700, 100, 200)), (1500, (1050, 150, 300)), (2000, (1400, 200, 400)),
                                      (4999, (3499, 500, 1000))])
def test_random_split_is_g_mixups_shuffle(n, sizes):
    saved = random.getstate()
    for seed in (1314, 71314):
        # G-Mixup's script, on a list in file order: random.seed(seed); random.shuffle(dataset);
        # train = [:int(0.7 n)], valid = [int(0.7 n):int(0.8 n)], test = the rest
        random.seed(seed)
        order = list(range(n))
        random.shuffle(order)
        a, b = int(n * 0.7), int(n * 0.8)
        s = random_split(n, seed)
        assert s["train"].tolist() == sorted(order[:a]) and s["valid"].tolist() == sorted(order[a:b])
        assert s["test"].tolist() == sorted(order[b:])
        assert tuple(len(s[k]) for k in ("train", "valid", "test")) == sizes
    random.setstate(saved)
    assert not np.array_equal(random_split(n, 1314)["test"], random_split(n, 11314)["test"])
