"""Augmentations: DropEdge/DropNode/subgraph invariants, mixup labels, G-Mixup's graphon estimator
recovering a known two-block stochastic block model."""
import dgl
import pytest
import torch

from hma_graph.augment import (drop_edges, drop_nodes, estimate_graphon, manifold_mixup, mix_graphons,
                               random_walk_subgraph, sample_graphs)


def ring(n=40):
    s = torch.arange(n)
    d = (s + 1) % n
    g = dgl.graph((torch.cat([s, d]), torch.cat([d, s])), num_nodes=n)
    g.ndata["feat"] = torch.arange(n, dtype=torch.float32).view(-1, 1)
    return g


def test_drop_edges_is_symmetric_at_the_stated_rate():
    g, gen = ring(), torch.Generator().manual_seed(0)
    kept = []
    for _ in range(200):
        h = drop_edges(g, 0.3, gen)
        s, d = h.edges()
        assert set(zip(s.tolist(), d.tolist())) == set(zip(d.tolist(), s.tolist()))   # both directions
        assert h.num_nodes() == g.num_nodes()
        kept.append(h.num_edges() / g.num_edges())
    assert abs(sum(kept) / len(kept) - 0.7) < 0.02                # 200 x 40 undirected edges at p = 0.3


def test_drop_nodes_keeps_features_with_their_nodes():
    g, gen = ring(), torch.Generator().manual_seed(1)
    sizes = []
    for _ in range(200):
        h = drop_nodes(g, 0.25, gen)
        ids = h.ndata[dgl.NID]
        assert torch.equal(h.ndata["feat"].view(-1), ids.float())       # feature i stays with node i
        sizes.append(h.num_nodes())
    assert abs(sum(sizes) / len(sizes) / 40 - 0.75) < 0.02
    assert drop_nodes(dgl.graph(([], []), num_nodes=3), 0.99, gen).num_nodes() >= 1


def test_random_walk_subgraph_is_connected_with_the_stated_size():
    g, gen = ring(), torch.Generator().manual_seed(2)
    for _ in range(20):
        h = random_walk_subgraph(g, 0.5, gen)
        assert h.num_nodes() == 20
        ids = sorted(h.ndata[dgl.NID].tolist())
        # a walk on a ring visits a contiguous arc: 20 consecutive ids modulo 40
        gaps = [(b - a) % 40 for a, b in zip(ids, ids[1:] + ids[:1])]
        assert sorted(gaps)[:-1] == [1] * 19


def test_mixup_labels_sum_to_one():
    h, y = torch.randn(6, 4), torch.tensor([0, 1, 2, 0, 1, 2])
    hm, ym = manifold_mixup(h, y, 3, 0.3)
    assert torch.allclose(ym.sum(1), torch.ones(6)) and torch.allclose(hm[0], 0.3 * h[0] + 0.7 * h[5])
    assert torch.allclose(ym[0], torch.tensor([0.3, 0.0, 0.7]))


def sbm(gen, inside_b, half=50, n_graphs=60):
    """Two blocks of ``half`` nodes: p = 0.9 inside A, ``inside_b`` inside B, 0.1 between."""
    n = 2 * half
    P = torch.full((n, n), 0.1)
    P[:half, :half], P[half:, half:] = 0.9, inside_b
    out = []
    for _ in range(n_graphs):
        U = torch.bernoulli(torch.triu(P, 1), generator=gen)
        A = U + U.T
        perm = torch.randperm(n, generator=gen)           # node order carries no information
        A = A[perm][:, perm]
        s, d = A.nonzero().T
        out.append(dgl.graph((s, d), num_nodes=n))
    return out, P


def block_means(W, half):
    off = ~torch.eye(2 * half, dtype=torch.bool)
    a, b = slice(0, half), slice(half, 2 * half)
    return [float(W[r, c][off[r, c]].mean()) for r, c in ((a, a), (b, b), (a, b))]


def test_graphon_estimator_recovers_a_two_block_sbm():
    # blocks of 50: singular values of the mean ~ 50 x eig([[0.9, 0.1], [0.1, 0.6]]) = 46.6, 28.4, both
    # above USVT's 2.02 sqrt(100) = 20.2; degrees 49 (A) and 34 (B) apart, so sorting aligns the blocks
    gen = torch.Generator().manual_seed(0)
    graphs, P = sbm(gen, inside_b=0.6)
    W = estimate_graphon(graphs)
    for got, want in zip(block_means(W, 50), (0.9, 0.6, 0.1)):
        assert abs(got - want) < 0.05, (got, want)   # the rank-2 truncation bias is ~0.04 on block A
    off = ~torch.eye(100, dtype=torch.bool)
    assert float((W - P).abs()[off].mean()) < 0.06
    mixed = mix_graphons(W, torch.zeros_like(W), 0.5)
    samples = sample_graphs(mixed, 30, gen)
    dens = sum(g.num_edges() for g in samples) / (30 * 100 * 99)
    assert abs(dens - float(mixed[off].mean())) < 0.01 and all(g.num_nodes() == 100 for g in samples)
    with pytest.raises(ValueError, match="lam"):
        mix_graphons(W, W, 1.5)


def test_usvt_threshold_erases_a_weak_second_block():
    """A limit of G-Mixup's estimator, kept as it is: with blocks of 30 and p = 0.2 inside B, the
    mean's second singular value (~30 x 0.19 = 5.6) is below 2.02 sqrt(60) = 15.6, so the estimate is
    rank one and block B's density is lost."""
    graphs, _ = sbm(torch.Generator().manual_seed(0), inside_b=0.2, half=30)
    a, b, _ = block_means(estimate_graphon(graphs), 30)
    assert abs(a - 0.9) < 0.05 and b < 0.05
