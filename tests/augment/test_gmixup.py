"""G-Mixup as Table 4 runs it: the degree alignment against a dense reference, the graphon estimator
recovering known two-block stochastic block models at the script's threshold 0.2, and the recipe's
invariants (how many synthetic graphs, labels that mix two classes and sum to one, lam in range,
no isolated nodes, only training graphs used, a function of the seed)."""
import dgl
import pytest
import torch

from hma_graph.augment import class_graphons, estimate_graphon, gmixup, graphon_resolution, sorted_adjacency


def _dense_sorted(g, size):
    """Reference for sorted_adjacency: dense matrix, python sort by (-degree, id), cut/pad."""
    n = g.num_nodes()
    A = torch.zeros(n, n)
    s, d = g.edges()
    A[s.long(), d.long()] = 1.0
    order = sorted(range(n), key=lambda i: (-int(A[i].sum()), i))
    A = A[order][:, order][:size, :size]
    out = torch.zeros(size, size)
    out[:A.shape[0], :A.shape[1]] = A
    return out


def test_sorted_adjacency_equals_the_dense_reference():
    gen = torch.Generator().manual_seed(0)
    for n, size in ((7, 5), (7, 9), (12, 12)):
        U = torch.bernoulli(torch.full((n, n), 0.4).triu(1), generator=gen)
        s, d = (U + U.T).nonzero().T
        g = dgl.graph((s, d), num_nodes=n)
        assert torch.equal(sorted_adjacency(g, size), _dense_sorted(g, size))
    star = dgl.graph(([3, 3, 3, 0, 1, 2], [0, 1, 2, 3, 3, 3]), num_nodes=4)   # hub 3 goes first
    assert sorted_adjacency(star, 2).tolist() == [[0, 1], [1, 0]]


def sbm(gen, inside_b, half, n_graphs=60, between=0.1, inside_a=0.9):
    n = 2 * half
    P = torch.full((n, n), between)
    P[:half, :half], P[half:, half:] = inside_a, inside_b
    graphs = []
    for _ in range(n_graphs):
        U = torch.bernoulli(torch.triu(P, 1), generator=gen)
        perm = torch.randperm(n, generator=gen)            # node order carries no information
        A = (U + U.T)[perm][:, perm]
        s, d = A.nonzero().T
        graphs.append(dgl.graph((s, d), num_nodes=n))
    return graphs


def block_means(W, half):
    off = ~torch.eye(2 * half, dtype=torch.bool)
    a, b = slice(0, half), slice(half, 2 * half)
    return [float(W[r, c][off[r, c]].mean()) for r, c in ((a, a), (b, b), (a, b))]


@pytest.mark.parametrize("half, inside_b", [(50, 0.6), (30, 0.2)])
def test_estimator_at_threshold_0_2_recovers_a_two_block_sbm(half, inside_b):
    """Tolerance: every block's mean within 0.05 of its probability. With G-Mixup's threshold 0.2
    (0.2 sqrt(2 half) = 2.0 or 1.5) both singular values of the mean survive, so the weak second
    block (p = 0.2, erased at 2.02: tests/test_augment.py) is recovered too."""
    graphs = sbm(torch.Generator().manual_seed(0), inside_b, half)
    W = estimate_graphon(graphs, threshold=0.2)
    for got, want in zip(block_means(W, half), (0.9, inside_b, 0.1)):
        assert abs(got - want) < 0.05, (got, want)


def labelled_sbms(n_per_class=40, seed=0):
    """Class 0: dense single block (p 0.5); class 1: two blocks (0.9 / 0.1 between); 10-20 nodes."""
    gen = torch.Generator().manual_seed(seed)
    graphs, labels = [], []
    for c in (0, 1):
        for i in range(n_per_class):
            n = 10 + i % 11
            P = torch.full((n, n), 0.5) if c == 0 else torch.full((n, n), 0.1)
            if c == 1:
                P[: n // 2, : n // 2], P[n // 2:, n // 2:] = 0.9, 0.9
            U = torch.bernoulli(P.triu(1), generator=gen)
            s, d = (U + U.T).nonzero().T
            graphs.append(dgl.graph((s, d), num_nodes=n))
            labels.append(c)
    return graphs, torch.tensor(labels)


def test_gmixup_counts_labels_and_graphs():
    graphs, labels = labelled_sbms()
    syn, soft = gmixup(graphs, labels, 3, aug_num=10, aug_ratio=0.15, lam_range=(0.005, 0.01), seed=1)
    per = int(80 * 0.15 / 10)                         # = 1 graph per mixing weight: S = 10
    assert len(syn) == soft.shape[0] == 10 * per and soft.shape[1] == 3
    assert torch.allclose(soft.sum(1), torch.ones(len(syn)))
    assert torch.all(soft[:, 2] == 0)                 # class 2 has no training graph: never mixed in
    small = soft[:, :2].min(1).values                 # the weight of the first class of the pair: lam
    assert torch.all((small >= 0.005 - 1e-7) & (small <= 0.01 + 1e-7))
    K = graphon_resolution(graphs)   # per class 4 graphs of each size 10..16, 3 of 17..20: median 14.5
    assert K == 14                   # int(), as G-Mixup's script
    for g in syn:
        assert 1 <= g.num_nodes() <= K and bool((g.in_degrees() > 0).all()) or g.num_edges() == 0
        s, d = g.edges()
        assert set(zip(s.tolist(), d.tolist())) == set(zip(d.tolist(), s.tolist()))
    again, soft2 = gmixup(graphs, labels, 3, seed=1)
    assert torch.equal(soft, soft2) and all(torch.equal(torch.stack(a.edges()), torch.stack(b.edges()))
                                            for a, b in zip(syn, again))
    other, _ = gmixup(graphs, labels, 3, seed=2)
    assert any(a.num_edges() != b.num_edges() for a, b in zip(syn, other))


def test_gmixup_graphs_follow_their_mixed_graphon():
    """Each group of synthetic graphs (one mixing weight: 30 graphs of K = 14 nodes) has the edge
    density of its mixed graphon, lam W_a + (1 - lam) W_b, off the diagonal (tolerance 0.02;
    sampling sd ~0.006)."""
    graphs, labels = labelled_sbms(60)
    K = graphon_resolution(graphs)
    Ws = class_graphons(graphs, labels, K, threshold=0.2)
    syn, soft = gmixup(graphs, labels, 2, aug_num=4, aug_ratio=1.0, drop_isolated=False, seed=0)
    assert len(syn) == 4 * 30 and all(g.num_nodes() == K == 14 for g in syn)
    off = ~torch.eye(K, dtype=torch.bool)
    for t in range(4):
        y = soft[30 * t]
        assert torch.equal(soft[30 * t: 30 * (t + 1)], y.expand(30, 2))
        want = float((y[0] * Ws[0] + y[1] * Ws[1])[off].mean())
        got = sum(g.num_edges() for g in syn[30 * t: 30 * (t + 1)]) / (30 * K * (K - 1))
        assert abs(got - want) < 0.02, (t, got, want)


def test_gmixup_needs_two_classes_and_valid_options():
    graphs, labels = labelled_sbms(5)
    with pytest.raises(ValueError, match="two classes"):
        gmixup(graphs[:5], labels[:5], 2)
    with pytest.raises(ValueError, match="lam_range"):
        gmixup(graphs, labels, 2, lam_range=(0.5, 0.1))
    with pytest.raises(ValueError, match="resolution"):
        graphon_resolution(graphs, "mean")
