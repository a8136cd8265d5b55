"""Spurious-Motif generator: closed-form sizes, motif masks, bias statistics, determinism, errors.

References are independent of the generator: closed-form node/edge counts, networkx's own
generators (balanced_tree, ladder_graph, wheel_graph, cycle_graph, house_graph,
complete_bipartite_graph) compared by isomorphism, and binomial tolerances for the bias rule.
"""
import math

import networkx as nx
import numpy as np
import pytest
import torch

from hma_graph.data.spmotif import (BASES, MOTIF_EDGES, MOTIFS, base_edges, ladder_edges,
                                    make_spurious_motif, spurious_motif_splits, tree_edges,
                                    wheel_edges)
from hma_graph.data.spmotif_shapes import noise_edges

REFERENCE_MOTIF = {"cycle": nx.cycle_graph(5), "house": nx.house_graph(),
                   "crane": nx.complete_bipartite_graph(2, 3)}


def _nx(num_nodes, edges):
    g = nx.Graph()
    g.add_nodes_from(range(num_nodes))
    g.add_edges_from(map(tuple, np.asarray(edges).tolist()))
    return g


def _undirected_edges(g):
    """(E/2, 2) array of the undirected edges, checking the e <-> e + E/2 reverse layout."""
    src, dst = (t.numpy() for t in g.edges())
    m = src.shape[0] // 2
    assert src.shape[0] == 2 * m
    np.testing.assert_array_equal(src[:m], dst[m:])
    np.testing.assert_array_equal(dst[:m], src[m:])
    return np.stack([src[:m], dst[:m]], 1)


def _base_reference(base, size, r):
    if base == "tree":
        return nx.balanced_tree(r, size)
    if base == "ladder":
        return nx.ladder_graph(size)
    return nx.wheel_graph(size)


# ----------------------------------------------------------------------------- building blocks
@pytest.mark.parametrize("r", [2, 3])
def test_tree_closed_form_and_isomorphism(r):
    for h in range(0, 6):
        n, e = tree_edges(r, h)
        assert n == (r ** (h + 1) - 1) // (r - 1)
        if r == 2:
            assert n == 2 ** (h + 1) - 1
        assert e.shape == (n - 1, 2)
        g = _nx(n, e)
        assert nx.is_tree(g)
        if h <= 3:
            assert nx.is_isomorphic(g, nx.balanced_tree(r, h))


def test_ladder_and_wheel_closed_forms():
    for k in range(1, 13):
        n, e = ladder_edges(k)
        assert (n, e.shape[0]) == (2 * k, 3 * k - 2)
        assert nx.is_isomorphic(_nx(n, e), nx.ladder_graph(k))
    for w in range(4, 21):
        n, e = wheel_edges(w)
        assert (n, e.shape[0]) == (w, 2 * (w - 1))
        g = _nx(n, e)
        assert sorted(d for _, d in g.degree()) == [3] * (w - 1) + [w - 1]
        assert nx.is_isomorphic(g, nx.wheel_graph(w))


def test_motif_templates():
    counts = {"cycle": (5, 5), "house": (5, 6), "crane": (5, 6)}
    graphs = {}
    for name in MOTIFS:
        e = MOTIF_EDGES[name]
        g = _nx(5, e)
        assert (g.number_of_nodes(), g.number_of_edges()) == counts[name] == (5, e.shape[0])
        assert nx.is_isomorphic(g, REFERENCE_MOTIF[name])
        graphs[name] = g
    # the three labels are structurally distinct
    assert not nx.is_isomorphic(graphs["house"], graphs["crane"])
    assert not nx.is_isomorphic(graphs["cycle"], graphs["house"])


# ----------------------------------------------------------------------------- generated graphs
def _check_graph(g, label, info, i, noise):
    n_b = int(info["num_base_nodes"][i])
    base, size, r = BASES[int(info["base"][i])], int(info["base_size"][i]), int(info["tree_branching"][i])
    n_ref, e_ref = base_edges(base, size, r if base == "tree" else 2)
    assert n_b == n_ref and g.num_nodes() == n_b + 5
    e = _undirected_edges(g)
    assert not np.any(e[:, 0] == e[:, 1]), "self-loop"
    key = np.minimum(e[:, 0], e[:, 1]) * g.num_nodes() + np.maximum(e[:, 0], e[:, 1])
    assert np.unique(key).size == key.size, "duplicate edge"
    e0 = e_ref.shape[0] + MOTIF_EDGES[MOTIFS[label]].shape[0] + 1
    assert e.shape[0] == e0 + math.floor(noise * e0) == e0 + int(info["num_noise_edges"][i])
    full = _nx(g.num_nodes(), e)
    assert nx.is_connected(full)
    # ground-truth mask isolates exactly the labelled motif
    mask = g.edata["motif"].numpy()
    motif_nodes = np.arange(n_b, n_b + 5)
    assert mask.sum() == 2 * MOTIF_EDGES[MOTIFS[label]].shape[0]
    sub = nx.Graph()
    sub.add_edges_from(map(tuple, torch.stack(g.edges(), 1)[torch.from_numpy(mask)].tolist()))
    assert sorted(sub.nodes) == motif_nodes.tolist()
    assert nx.is_isomorphic(sub, REFERENCE_MOTIF[MOTIFS[label]])
    for m, other in REFERENCE_MOTIF.items():
        if m != MOTIFS[label]:
            assert not nx.is_isomorphic(sub, other)
    np.testing.assert_array_equal(g.ndata["motif"].numpy(), np.arange(g.num_nodes()) >= n_b)
    x = g.ndata["feat"]
    assert x.dtype == torch.float32 and x.shape == (g.num_nodes(), info["feat_dim"])
    assert float(x.min()) >= 0.0 and float(x.max()) < 1.0
    return full, e


@pytest.mark.parametrize("split", ["train", "test"])
def test_generated_graphs_with_noise(split):
    graphs, labels, info = make_spurious_motif(90, 0.6, 3, split=split)
    assert len(graphs) == 90 and labels.dtype == torch.long
    assert int(info["num_noise_edges"].sum()) > 0
    for i, g in enumerate(graphs):
        _check_graph(g, int(labels[i]), info, i, 0.05)


def test_noise_edges_counted_by_hand():
    """3 nodes, node 0 the base, existing edge (0, 1): the pairs touching the base are (0, 1) and
    (0, 2); (1, 2) joins two motif nodes. So exactly one pair, (0, 2), is free."""
    rng = np.random.default_rng(0)
    assert noise_edges(rng, 3, 1, np.array([[0, 1]]), 1).tolist() == [[0, 2]]
    assert noise_edges(rng, 3, 1, np.array([[0, 1]]), 0).shape == (0, 2)
    with pytest.raises(ValueError, match="only 1 node pairs are free"):
        noise_edges(rng, 3, 1, np.array([[0, 1]]), 2)
    # larger: every drawn pair is new, distinct, and touches the base (nodes 0-5 of 9)
    e = np.array([[0, 1], [1, 2], [6, 7]])
    got = noise_edges(np.random.default_rng(1), 9, 6, e, 20)
    keys = {tuple(sorted(p)) for p in got.tolist()}
    assert len(keys) == 20 and not keys & {(0, 1), (1, 2), (6, 7)} and all(min(p) < 6 for p in keys)


def test_generated_graphs_without_noise_keep_base_and_anchor():
    graphs, labels, info = make_spurious_motif(60, 0.5, 5, split="val", noise=0.0,
                                               base_size={"tree": (1, 3), "ladder": (2, 6), "wheel": (4, 9)})
    for i, g in enumerate(graphs):
        full, e = _check_graph(g, int(labels[i]), info, i, 0.0)
        n_b = int(info["num_base_nodes"][i])
        base = BASES[int(info["base"][i])]
        ref = _base_reference(base, int(info["base_size"][i]), int(info["tree_branching"][i]))
        assert nx.is_isomorphic(full.subgraph(range(n_b)), ref)
        crossing = e[(e[:, 0] < n_b) != (e[:, 1] < n_b)]
        assert crossing.shape[0] == 1  # the single anchor edge, to motif node 0
        assert sorted(crossing[0].tolist()) == [int(info["anchor"][i]), n_b]


def test_size_ranges_and_branching_respected():
    ranges = {"tree": (2, 2), "ladder": (3, 4), "wheel": (5, 6)}
    _, _, info = make_spurious_motif(200, 0.4, 1, base_size=ranges, tree_branching=3)
    for b, name in enumerate(BASES):
        sel = info["base"] == b
        assert sel.any()
        s = info["base_size"][sel]
        assert int(s.min()) >= ranges[name][0] and int(s.max()) <= ranges[name][1]
    assert set(info["tree_branching"][info["base"] == 0].tolist()) == {3}
    assert set(info["tree_branching"][info["base"] != 0].tolist()) == {0}


# ----------------------------------------------------------------------------- statistics
def _within(p_hat, p, n, z=4.0):
    return abs(p_hat - p) <= z * math.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("bias", [0.9, 0.6])
def test_bias_rule(bias):
    n = 3000
    _, labels, info = make_spurious_motif(n, bias, 11, noise=0.0, features="constant")
    base = info["base"]
    assert info["biased"]
    p_match = float((base == labels).float().mean())
    assert _within(p_match, bias, n), p_match
    # mismatches split evenly over the two other bases
    mis = base != labels
    offset = ((base - labels) % 3)[mis]
    assert _within(float((offset == 1).float().mean()), 0.5, int(mis.sum()))
    # and the bias holds within every class
    for c in range(3):
        sel = labels == c
        assert _within(float((base[sel] == c).float().mean()), bias, int(sel.sum()))


@pytest.mark.parametrize("split", ["val", "test"])
def test_eval_splits_are_unbiased(split):
    n = 1800
    _, labels, info = make_spurious_motif(n, 0.9, 2, split=split, noise=0.0, features="constant",
                                          base_size="small")
    assert not info["biased"]
    base = info["base"]
    assert _within(float((base == labels).float().mean()), 1 / 3, n)
    table = torch.zeros(3, 3)
    table.index_put_((labels, base), torch.ones(n), accumulate=True)
    for c in range(3):
        for b in range(3):
            assert _within(float(table[c, b]) / (n / 3), 1 / 3, n // 3)


def test_bias_one_and_override():
    _, labels, info = make_spurious_motif(300, 1.0, 0, noise=0.0)
    assert torch.equal(info["base"], labels)
    _, labels, info = make_spurious_motif(300, 1.0, 0, split="val", biased=True, noise=0.0)
    assert torch.equal(info["base"], labels)


@pytest.mark.parametrize("n", [1, 2, 3, 100, 301])
def test_label_balance(n):
    _, labels, _ = make_spurious_motif(n, 0.5, 4, noise=0.0)
    counts = torch.bincount(labels, minlength=3)
    assert int(counts.sum()) == n and int(counts.max() - counts.min()) <= 1


# ----------------------------------------------------------------------------- determinism
def _signature(graphs, labels):
    return [(int(y), g.num_nodes(), torch.stack(g.edges()).tolist(), g.ndata["feat"].tolist())
            for g, y in zip(graphs, labels)]


def test_determinism():
    a = _signature(*make_spurious_motif(40, 0.7, 123)[:2])
    b = _signature(*make_spurious_motif(40, 0.7, 123)[:2])
    c = _signature(*make_spurious_motif(40, 0.7, 124)[:2])
    d = _signature(*make_spurious_motif(40, 0.7, 123, split="val")[:2])
    assert a == b
    assert a != c and a != d
    e = make_spurious_motif(40, 0.7, 123, features="constant")[0]
    assert all(torch.equal(g.ndata["feat"], torch.ones(g.num_nodes(), 4)) for g in e)


def test_splits():
    d = spurious_motif_splits(0.9, 7, 60, 30, 30)
    assert set(d) == {"train", "val", "test"}
    for name, n in [("train", 60), ("val", 30), ("test", 30)]:
        part = d[name]
        assert len(part["graphs"]) == n and part["labels"].shape == (n,) and part["base"].shape == (n,)
        assert part["info"]["split"] == name
        assert all(g.edata["motif"].dtype == torch.bool for g in part["graphs"])
    assert d["train"]["info"]["biased"] and not d["val"]["info"]["biased"]
    assert not d["test"]["info"]["biased"]
    assert d["test"]["info"]["base_size_ranges"]["ladder"] == (30, 49)
    mean_nodes = {k: np.mean([g.num_nodes() for g in v["graphs"]]) for k, v in d.items()}
    assert mean_nodes["test"] > 2 * mean_nodes["train"]
    same = spurious_motif_splits(0.9, 7, 60, 30, 30, test_base_size="small")
    assert same["test"]["info"]["base_size_ranges"] == same["train"]["info"]["base_size_ranges"]


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("bias", [0, 0.0, -0.1, 1.5, float("nan")])
def test_bad_bias(bias):
    with pytest.raises(ValueError, match="bias"):
        make_spurious_motif(5, bias, 0)


@pytest.mark.parametrize("bias", [True, "0.5", None])
def test_bias_wrong_type(bias):
    with pytest.raises(TypeError, match="bias"):
        make_spurious_motif(5, bias, 0)


def test_bad_arguments():
    with pytest.raises(ValueError, match="num_graphs"):
        make_spurious_motif(0, 0.5, 0)
    with pytest.raises(TypeError, match="num_graphs"):
        make_spurious_motif(2.5, 0.5, 0)
    with pytest.raises(ValueError, match="split"):
        make_spurious_motif(5, 0.5, 0, split="valid")
    with pytest.raises(ValueError, match="seed"):
        make_spurious_motif(5, 0.5, -1)
    with pytest.raises(ValueError, match="base_size"):
        make_spurious_motif(5, 0.5, 0, base_size="huge")
    with pytest.raises(ValueError, match="wheel"):
        make_spurious_motif(5, 0.5, 0, base_size={"tree": (0, 1), "ladder": (2, 3), "wheel": (3, 5)})
    with pytest.raises(ValueError, match="missing"):
        make_spurious_motif(5, 0.5, 0, base_size={"tree": (0, 1), "ladder": (2, 3)})
    with pytest.raises(ValueError, match="low > high"):
        make_spurious_motif(5, 0.5, 0, base_size={"tree": (2, 1), "ladder": (2, 3), "wheel": (4, 5)})
    with pytest.raises(ValueError, match="tree_branching"):
        make_spurious_motif(5, 0.5, 0, tree_branching=1)
    with pytest.raises(ValueError, match="features"):
        make_spurious_motif(5, 0.5, 0, features="degree")
    with pytest.raises(ValueError, match="noise"):
        make_spurious_motif(5, 0.5, 0, noise=1.0)
    for kw in ("n_train", "n_val", "n_test"):
        with pytest.raises(ValueError, match=kw):
            spurious_motif_splits(0.5, 0, **{"n_train": 3, "n_val": 3, "n_test": 3, kw: 0})
