"""ASAP pooling against a dense per-graph reference written from the definitions, batched and alone."""
import math

import dgl
import pytest
import torch
import torch.nn.functional as F

from hma_graph.models.asap import ASAPClassifier, ASAPool


def dense_reference(pool, n, edges, x, w=None):
    """One graph: returns (pooled features (k, d), pooled adjacency (k, k), kept node ids)."""
    A = torch.zeros(n, n, dtype=x.dtype)
    for e, (j, i) in enumerate(edges):
        A[j, i] = 1.0 if w is None else w[e]
    for i in range(n):
        if A[i, i] == 0 and (i, i) not in edges:
            A[i, i] = 1.0                                    # a self-loop for every node without one
    adj = A != 0                                             # j in the cluster of i iff j -> i
    S = torch.zeros(n, n, dtype=x.dtype)                     # S[j, i]: attention of cluster i on node j
    xc = torch.zeros_like(x)
    for i in range(n):
        members = [j for j in range(n) if adj[j, i]]
        m = pool.lin(torch.stack([x[j] for j in members]).max(0).values)
        logits = torch.stack([pool.att(torch.cat([m, x[j]])) for j in members]).view(-1)
        a = torch.softmax(F.leaky_relu(logits, 0.2), 0)
        for aj, j in zip(a, members):
            S[j, i] = aj
        xc[i] = sum(aj * x[j] for aj, j in zip(a, members))
    le = pool.score
    fit = torch.stack([le.lin3(xc[i]) + sum(le.lin1(xc[j]) - le.lin2(xc[i]) for j in range(n) if adj[j, i])
                       for i in range(n)]).view(-1).sigmoid()
    k = math.ceil(pool.ratio * n)
    keep = sorted(range(n), key=lambda i: (-float(fit[i].detach()), i))[:k]
    Sk = S[:, keep]
    Anew = Sk.T @ A @ Sk
    Anew.fill_diagonal_(0)
    return xc[keep] * fit[keep].view(-1, 1), Anew, keep


def dense_of(g, n):
    M = torch.zeros(n, n, dtype=torch.float64)
    src, dst = g.edges()
    M[src.long(), dst.long()] = g.edata["edge_weight"]
    return M


GRAPHS = [(5, [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (1, 0), (2, 2)]), (4, [(0, 1), (1, 0), (1, 2), (3, 1)]),
          (3, [])]


@pytest.mark.parametrize("ratio", [0.5, 0.8])
def test_pooling_matches_the_dense_definition_batched_and_alone(ratio):
    torch.manual_seed(0)
    pool = ASAPool(4, ratio).double().eval()
    xs = [torch.randn(n, 4, dtype=torch.float64) for n, _ in GRAPHS]
    weights = [torch.rand(len(e), dtype=torch.float64) + 0.5 for _, e in GRAPHS]
    graphs = [dgl.graph(([j for j, _ in e], [i for _, i in e]), num_nodes=n) for n, e in GRAPHS]
    pg, px, perm = pool(dgl.batch(graphs), torch.cat(xs), torch.cat(weights))
    assert pg.batch_num_nodes().tolist() == [math.ceil(ratio * n) for n, _ in GRAPHS]
    offset, node_offset = 0, 0
    for (n, edges), g, x, w, part in zip(GRAPHS, graphs, xs, weights, dgl.unbatch(pg)):
        ref_x, ref_A, keep = dense_reference(pool, n, edges, x, w)
        k = len(keep)
        assert perm[offset:offset + k].tolist() == [node_offset + i for i in keep]
        assert torch.allclose(px[offset:offset + k], ref_x, atol=1e-12)
        assert torch.allclose(dense_of(part, k), ref_A, atol=1e-12)
        alone_g, alone_x, alone_perm = pool(g, x, w)                 # the same graph alone
        assert alone_perm.tolist() == keep and torch.allclose(alone_x, ref_x, atol=1e-12)
        assert torch.allclose(dense_of(alone_g, k), ref_A, atol=1e-12)
        offset, node_offset = offset + k, node_offset + n


def test_gradients_reach_every_parameter_and_the_classifier_runs():
    torch.manual_seed(0)
    g = dgl.batch([dgl.graph(([0, 1, 2, 3], [1, 2, 3, 0]), num_nodes=4), dgl.graph(([0, 1], [1, 2]), num_nodes=3)])
    model = ASAPClassifier(5, 3, hidden=8, num_layers=4, ratio=0.5)
    out = model(g, torch.randn(7, 5))
    assert out.shape == (2, 3)
    out.sum().backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
    assert no_grad == [] and len(model.pools) == 1
    with pytest.raises(ValueError, match="ratio"):
        ASAPool(4, ratio=0.0)
