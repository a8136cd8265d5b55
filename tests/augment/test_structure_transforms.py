"""Table 4's per-graph training transforms: built from a config's data.augment, each keeps its
invariants on social-network-like graphs (a star with a tail: hubs, leaves, a long path)."""
import math

import dgl
import pytest
import torch

from hma_graph.augment import drop_edges, random_walk_subgraph, training_transform


def star_with_tail(leaves=30, tail=10):
    """Hub 0 with ``leaves`` leaves, then a path of ``tail`` nodes hanging off leaf 1; both directions."""
    edges = [(0, i) for i in range(1, leaves + 1)]
    prev = 1
    for j in range(leaves + 1, leaves + 1 + tail):
        edges.append((prev, j))
        prev = j
    s, d = zip(*edges)
    g = dgl.graph((torch.tensor(s + d), torch.tensor(d + s)), num_nodes=leaves + 1 + tail)
    g.ndata["feat"] = torch.arange(g.num_nodes(), dtype=torch.float32).view(-1, 1)
    return g


def components(g):
    """Number of connected components of an undirected graph (plain union-find)."""
    parent = list(range(g.num_nodes()))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for s, d in zip(*(t.tolist() for t in g.edges())):
        parent[find(s)] = find(d)
    return len({find(i) for i in range(g.num_nodes())})


def test_dropedge_transform_rate_symmetry_and_features():
    g, gen = star_with_tail(), torch.Generator().manual_seed(0)
    f = training_transform({"name": "dropedge", "p": 0.2})
    kept = []
    for _ in range(300):
        h = f(g, gen)
        s, d = h.edges()
        assert set(zip(s.tolist(), d.tolist())) == set(zip(d.tolist(), s.tolist()))
        assert h.num_nodes() == g.num_nodes() and torch.equal(h.ndata["feat"], g.ndata["feat"])
        assert dgl.EID not in h.edata and dgl.NID not in h.ndata
        kept.append(h.num_edges() / g.num_edges())
    assert abs(sum(kept) / len(kept) - 0.8) < 0.01      # 300 x 40 undirected edges at p = 0.2: sd 0.004


def test_dropedge_with_duplicate_directed_edges_keeps_or_drops_both_copies():
    g = dgl.graph(([0, 0, 1, 1, 2], [1, 1, 0, 2, 1]), num_nodes=3)   # 0-1 listed twice one way
    for seed in range(20):
        h = drop_edges(g, 0.5, torch.Generator().manual_seed(seed))
        pairs = list(zip(*(t.tolist() for t in h.edges())))
        assert pairs.count((0, 1)) in (0, 2) and (pairs.count((0, 1)) == 2) == ((1, 0) in pairs)


def test_dropnode_transform_node_counts_and_features():
    g, gen = star_with_tail(), torch.Generator().manual_seed(1)
    f = training_transform({"name": "dropnode", "p": 0.2})
    sizes = []
    for _ in range(300):
        h = f(g, gen)
        ids = h.ndata["feat"].view(-1).long()             # the feature names the original node
        s, d = h.edges()
        orig = set(zip(*(t.tolist() for t in g.edges())))
        assert all((int(ids[a]), int(ids[b])) in orig for a, b in zip(s.tolist(), d.tolist()))
        sizes.append(h.num_nodes())
    assert abs(sum(sizes) / len(sizes) / 41 - 0.8) < 0.01


def test_subgraph_transform_keeps_a_connected_80_percent():
    g, gen = star_with_tail(), torch.Generator().manual_seed(2)
    f = training_transform({"name": "subgraph", "keep": 0.8})
    target = math.ceil(0.8 * 41)
    for _ in range(50):
        h = f(g, gen)
        assert h.num_nodes() == target and components(h) == 1     # a walk's nodes induce a connected graph
    # a graph in pieces: the walk covers its component, the rest is filled in id order
    two = dgl.graph(([0, 1, 3, 4], [1, 0, 4, 3]), num_nodes=6)
    h = random_walk_subgraph(two, 1.0, gen)
    assert sorted(h.ndata[dgl.NID].tolist()) == list(range(6))


def test_transform_specs_are_checked():
    assert training_transform(None) is None
    with pytest.raises(ValueError, match="unknown augmentation 'mixup'"):
        training_transform({"name": "mixup"})
    with pytest.raises(ValueError, match=r"takes \['p'\]"):
        training_transform({"name": "dropedge", "keep": 0.8})
    with pytest.raises(ValueError, match="p must be in"):
        training_transform({"name": "dropnode", "p": 1.0})(star_with_tail())
