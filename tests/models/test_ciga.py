"""CIGA model: per-graph top-k edge split (hand-made and brute force), subgraphs, forward."""
import math

import dgl
import pytest
import torch

from hma_graph.models.ciga import CIGAModel, ciga_subgraphs, split_edges_per_graph


def test_split_by_hand_three_graphs():
    # graph A: 5 edges, graph B: 1 edge, graph C: 0 edges; r = 0.5
    counts = torch.tensor([5, 1, 0])
    scores = torch.tensor([0.1, 0.9, 0.5, 0.3, 0.7,   # A: k = ceil(2.5) = 3 -> local 1, 4, 2
                           -4.0])                     # B: k = ceil(0.5) = 1 -> its only edge
    mask = split_edges_per_graph(counts, scores, 0.5)
    assert torch.nonzero(mask).view(-1).tolist() == [1, 2, 4, 5]


def test_split_ceil_rule_and_float_tolerance():
    scores = torch.arange(10, 0, -1).float()          # edge i has the i-th largest score
    for r, k in [(0.7, 7), (0.3, 3), (0.31, 4), (0.05, 1), (1.0, 10), (0.6, 6), (0.25, 3)]:
        mask = split_edges_per_graph(torch.tensor([10]), scores, r)
        assert int(mask.sum()) == k, (r, k)
        assert mask[:k].all()
    # 0.55 * 100 = 55.00000000000001 in floating point: a plain ceil would keep 56 of 100
    assert 0.55 * 100 > 55
    assert int(split_edges_per_graph(torch.tensor([100]), torch.randn(100), 0.55).sum()) == 55


def test_split_ties_keep_lower_edge_id_first():
    mask = split_edges_per_graph(torch.tensor([4]), torch.tensor([1.0, 2.0, 1.0, 1.0]), 0.5)
    assert mask.tolist() == [True, True, False, False]


def test_split_self_loops_are_not_ranked_or_counted():
    # 4 edges of which edge 1 is a self-loop with the highest score: E_g = 3, k = ceil(1.5) = 2
    loops = torch.tensor([False, True, False, False])
    mask = split_edges_per_graph(torch.tensor([4]), torch.tensor([0.2, 9.0, 0.5, 0.1]), 0.5, loops)
    assert mask.tolist() == [True, False, True, False]


def _brute_force(counts, scores, r):
    out, start = [], 0
    for c in counts:
        k = math.ceil(round(r * c, 9)) if c else 0
        order = sorted(range(c), key=lambda i: (-scores[start + i], i))
        keep = set(order[:k])
        out += [i in keep for i in range(c)]
        start += c
    return out


@pytest.mark.parametrize("r", [0.3, 0.5, 0.6, 0.7, 1.0])
def test_split_matches_brute_force_loop(r):
    gen = torch.Generator().manual_seed(int(r * 100))
    counts = torch.randint(0, 12, (40,), generator=gen)
    scores = torch.randint(-5, 5, (int(counts.sum()),), generator=gen).float()  # many ties
    mask = split_edges_per_graph(counts, scores, r)
    assert mask.tolist() == _brute_force(counts.tolist(), scores.tolist(), r)


def test_split_errors():
    with pytest.raises(ValueError, match="ratio"):
        split_edges_per_graph(torch.tensor([2]), torch.zeros(2), 0.0)
    with pytest.raises(ValueError, match="shape"):
        split_edges_per_graph(torch.tensor([2]), torch.zeros(3), 0.5)
    with pytest.raises(ValueError, match="NaN"):
        split_edges_per_graph(torch.tensor([2]), torch.tensor([0.0, float("nan")]), 0.5)
    with pytest.raises(ValueError, match="ratio"):
        CIGAModel(3, 2, ratio=1.5)


def _hand_batch(self_loops=False):
    a = dgl.graph(([0, 1, 1, 2, 2], [1, 0, 2, 1, 0]), num_nodes=3)
    b = dgl.graph(([0], [1]), num_nodes=2)
    c = dgl.graph(([], []), num_nodes=2)
    graphs = [a, b, c]
    if self_loops:  # per graph: dgl.add_self_loop on a batched graph drops the batch information
        graphs = [dgl.add_self_loop(h) for h in graphs]
    return dgl.batch(graphs)


def test_subgraphs_keep_nodes_batch_info_and_weights():
    g = _hand_batch()
    scores = torch.tensor([0.1, 0.9, 0.5, 0.3, 0.7, -4.0], requires_grad=True)
    g_c, w_c, g_s, w_s, causal = ciga_subgraphs(g, scores, 0.5)
    assert torch.nonzero(causal).view(-1).tolist() == [1, 2, 4, 5]
    for sub in (g_c, g_s):
        assert sub.num_nodes() == g.num_nodes()
        assert sub.batch_num_nodes().tolist() == [3, 2, 2]
    assert g_c.batch_num_edges().tolist() == [3, 1, 0]
    assert g_s.batch_num_edges().tolist() == [2, 0, 0]
    src, dst = g.edges()
    pairs = list(zip(src.tolist(), dst.tolist()))
    cs, cd = g_c.edges()
    assert list(zip(cs.tolist(), cd.tolist())) == [pairs[i] for i in (1, 2, 4, 5)]
    assert torch.allclose(w_c, torch.sigmoid(scores.detach()[[1, 2, 4, 5]]))
    assert torch.allclose(w_s, torch.sigmoid(-scores.detach()[[0, 3]]))
    (w_c.sum() + w_s.sum()).backward()
    assert (scores.grad != 0).all()  # every score receives gradient through its weight


def test_subgraphs_keep_self_loops_in_both_with_weight_one():
    g = dgl.add_self_loop(dgl.graph(([0, 1], [1, 2]), num_nodes=3))
    loops = (g.edges()[0] == g.edges()[1])
    scores = torch.randn(g.num_edges())
    g_c, w_c, g_s, w_s, causal = ciga_subgraphs(g, scores, 0.5)
    assert not causal[loops].any() and int(causal.sum()) == 1
    for sub, w in ((g_c, w_c), (g_s, w_s)):
        s, d = sub.edges()
        assert int((s == d).sum()) == 3
        assert (w[s == d] == 1).all()
        assert sub.in_degrees().min() >= 1


def test_gin_subgraph_equals_zero_weighted_full_graph():
    # independent construction: GIN sums weighted messages, so dropping an edge == weight 0
    torch.manual_seed(0)
    g = dgl.batch([dgl.rand_graph(6, 14), dgl.rand_graph(5, 3), dgl.graph(([], []), num_nodes=3)])
    x = torch.randn(g.num_nodes(), 4)
    model = CIGAModel(4, 3, hidden=8, num_layers=2, conv="gin", ratio=0.4).eval()
    with torch.no_grad():
        out = model.outputs(g, x)
        loops = g.edges()[0] == g.edges()[1]
        w_full = torch.where(loops, torch.ones_like(out.scores), torch.sigmoid(out.scores))
        w_full = w_full * (out.causal_mask | loops).float()
        ref = model.classifier.embed(g, x, w_full)
    assert torch.allclose(out.causal_rep, ref, atol=1e-5)


@pytest.mark.parametrize("conv", ["gin", "gcn"])
def test_forward_handles_graphs_without_kept_edges(conv):
    g = _hand_batch(self_loops=conv == "gcn")
    torch.manual_seed(0)
    x = torch.randn(g.num_nodes(), 3)
    model = CIGAModel(3, 2, hidden=8, num_layers=2, conv=conv, ratio=0.5)
    out = model.outputs(g, x, spurious=True)
    assert out.causal_logits.shape == (3, 2) and out.spurious_logits.shape == (3, 2)
    assert torch.isfinite(out.causal_logits).all() and torch.isfinite(out.spurious_logits).all()
    model.eval()
    with torch.no_grad():
        # the edgeless graph C is represented by its own nodes (they are kept)
        alone = dgl.graph(([], []), num_nodes=2)
        if conv == "gcn":
            alone = dgl.add_self_loop(alone)
        rep_alone = model.classifier.embed(alone, x[-2:])
        assert torch.allclose(model.embed(g, x)[2], rep_alone[0], atol=1e-5)
        assert torch.allclose(model(g, x), model.head(model.embed(g, x)))


def test_causal_loss_reaches_featurizer_and_scorer():
    torch.manual_seed(0)
    g = dgl.batch([dgl.rand_graph(6, 12) for _ in range(4)])
    x = torch.randn(g.num_nodes(), 3)
    model = CIGAModel(3, 2, hidden=8, num_layers=2, ratio=0.5)
    torch.nn.functional.cross_entropy(model(g, x), torch.tensor([0, 1, 0, 1])).backward()
    for part in (model.featurizer, model.edge_scorer, model.classifier):
        assert sum(p.grad.abs().sum() for p in part.parameters() if p.grad is not None) > 0


def test_spurious_pass_leaves_batchnorm_running_stats_alone():
    torch.manual_seed(0)
    g = dgl.batch([dgl.rand_graph(6, 12) for _ in range(4)])
    x = torch.randn(g.num_nodes(), 3)
    stats = []
    for spurious in (False, True):
        torch.manual_seed(1)
        model = CIGAModel(3, 2, hidden=8, num_layers=2, ratio=0.5)
        model.outputs(g, x, spurious=spurious)
        stats.append({k: v.clone() for k, v in model.classifier.state_dict().items()
                      if "running" in k or "tracked" in k})
    assert stats[0].keys() == stats[1].keys() and len(stats[0]) > 0
    assert all(torch.equal(stats[0][k], stats[1][k]) for k in stats[0])
    assert model.classifier.norms[0].momentum == 0.1  # restored


def test_published_ciga_options():
    import dgl as _dgl

    torch.manual_seed(0)
    g = _dgl.batch([_dgl.graph(([0, 1, 2, 3], [1, 2, 3, 0]), num_nodes=5), _dgl.graph(([0, 1], [1, 2]), num_nodes=3)])
    x = torch.randn(8, 3)
    m = CIGAModel(3, 2, hidden=8, num_layers=2, ratio=0.5, classifier_input="featurizer",
                  contrast_rep="featurizer", causal_head="mlp").eval()
    assert m.classifier.input.in_features == 8                         # reads the featurizer's embeddings
    assert [type(l).__name__ for l in m.classifier.head] == ["Linear", "ReLU", "Linear"]
    out = m.outputs(g, x)
    h = m.featurizer.node_embed(g, x)
    src, dst = (t.tolist() for t in g.edges())
    want = torch.zeros(2, 8)
    for gi, (lo, hi) in enumerate(((0, 5), (5, 8))):                  # nodes touched by a causal edge
        touched = {v for e, c in enumerate(out.causal_mask.tolist()) if c for v in (src[e], dst[e])}
        for v in sorted(t for t in touched if lo <= t < hi):
            want[gi] += h[v]
    assert torch.allclose(out.contrast_rep, want, atol=1e-6) and out.causal_logits.shape == (2, 2)
    assert CIGAModel(3, 2, hidden=8).eval().outputs(g, x).contrast_rep.shape == (2, 8)
    with pytest.raises(ValueError, match="classifier_input"):
        CIGAModel(3, 2, classifier_input="both")
