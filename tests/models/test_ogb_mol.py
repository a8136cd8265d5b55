"""OGB molecule backbones against hand computations (plain loops, float64) and published counts."""
import hma_graph  # noqa: F401  (before dgl / ogb)
import dgl
import pytest
import torch
from ogb.utils import smiles2graph

from hma_graph.models.ogb_mol import (ATOM_FEATURE_DIMS, BOND_FEATURE_DIMS, OGBGCNConv, OGBGINConv,
                                      OGBMolGNN)

SMILES = ["CCO", "c1ccccc1O", "CC(=O)N"]


# ----------------------------------------------------------------------------- helpers
def mol_graph(smiles):
    """A DGL graph laid out as ogb's DglGraphPropPredDataset builds it from smiles2graph."""
    d = smiles2graph(smiles)
    ei = torch.from_numpy(d["edge_index"])
    g = dgl.graph((ei[0], ei[1]), num_nodes=d["num_nodes"])
    g.ndata["feat"] = torch.from_numpy(d["node_feat"])
    g.edata["feat"] = torch.from_numpy(d["edge_feat"])
    return g


def toy_graph(directed=False, seed=0):
    """4 nodes; undirected: bonds 0-1, 1-2, 2-3, 0-2 as both directions (same bond codes)."""
    gen = torch.Generator().manual_seed(seed)
    if directed:
        src, dst = [0, 0, 1, 3, 2], [1, 2, 2, 0, 1]
        codes = [[int(torch.randint(d, (1,), generator=gen)) for d in BOND_FEATURE_DIMS]
                 for _ in src]
    else:
        bonds = [(0, 1), (1, 2), (2, 3), (0, 2)]
        src, dst, codes = [], [], []
        for u, v in bonds:
            c = [int(torch.randint(d, (1,), generator=gen)) for d in BOND_FEATURE_DIMS]
            src += [u, v]
            dst += [v, u]
            codes += [c, c]
    g = dgl.graph((torch.tensor(src), torch.tensor(dst)), num_nodes=4)
    x = torch.stack([torch.randint(d, (4,), generator=gen) for d in ATOM_FEATURE_DIMS], dim=1)
    return g, x, torch.tensor(codes)


def randomize_bn(module, seed=1):
    gen = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, torch.nn.BatchNorm1d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen, dtype=torch.float64))
            m.running_var.copy_(torch.rand(n, generator=gen, dtype=torch.float64) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.randn(n, generator=gen, dtype=torch.float64))
                m.bias.copy_(torch.randn(n, generator=gen, dtype=torch.float64))


def lin(layer, v):
    return layer.weight @ v + layer.bias


def bn(layer, X, train):
    """BatchNorm1d on the rows of X by hand (batch statistics, biased variance, when training)."""
    if train:
        mean = X.mean(dim=0)
        var = ((X - mean) ** 2).mean(dim=0)
    else:
        mean, var = layer.running_mean, layer.running_var
    return (X - mean) / torch.sqrt(var + layer.eps) * layer.weight + layer.bias


def relu(v):
    return torch.clamp(v, min=0.0)


def mlp(seq, X, train):
    """Linear-BN-ReLU-Linear[-BN-ReLU] by hand, rows of X one at a time for the Linear layers."""
    out = X
    for m in seq:
        if isinstance(m, torch.nn.Linear):
            out = torch.stack([lin(m, r) for r in out])
        elif isinstance(m, torch.nn.BatchNorm1d):
            out = bn(m, out, train)
        elif isinstance(m, torch.nn.ReLU):
            out = relu(out)
        else:  # pragma: no cover
            raise AssertionError(type(m))
    return out


def embed_codes(tables, codes):
    """Sum of one embedding row per feature column, row by row (what Atom/BondEncoder compute)."""
    return torch.stack([sum(tables[k].weight[int(c)] for k, c in enumerate(row)) for row in codes])


def edge_list(g):
    s, d = g.edges()
    return list(zip(s.tolist(), d.tolist()))


# ----------------------------------------------------------------------------- layers
def test_gin_layer_matches_hand_formula():
    torch.manual_seed(0)
    g, _, ea = toy_graph()
    d = 5
    layer = OGBGINConv(d).double()
    assert layer.eps.requires_grad and float(layer.eps.detach()) == 0.0  # learnable, init 0 (OGB)
    with torch.no_grad():
        layer.eps.fill_(0.37)
    randomize_bn(layer)
    layer.eval()
    h = torch.randn(4, d, dtype=torch.float64)
    out = layer(g, h, ea)

    e = embed_codes(layer.bond_encoder.bond_embedding_list, ea.tolist())
    pre = torch.zeros(4, d, dtype=torch.float64)
    for i in range(4):
        pre[i] = (1 + 0.37) * h[i]
        for k, (u, v) in enumerate(edge_list(g)):
            if v == i:
                pre[i] += relu(h[u] + e[k])
    ref = mlp(layer.mlp, pre, train=False)
    torch.testing.assert_close(out, ref, rtol=1e-12, atol=1e-12)
    assert layer.mlp[0].out_features == 2 * d and layer.mlp[3].in_features == 2 * d


def test_gin_layer_is_bit_identical_to_dgl_gineconv():
    # our forward skips GINEConv's per-edge UDF; values and gradients must equal GINEConv.forward
    # exactly (float32, training mode, a batch with a one-atom molecule that has no edges)
    torch.manual_seed(5)
    g = dgl.batch([mol_graph(s) for s in SMILES + ["C", "O=C=O"]])
    layer = OGBGINConv(8)
    with torch.no_grad():
        layer.eps.fill_(-0.21)
    ea = g.edata["feat"]
    h1 = torch.randn(g.num_nodes(), 8, requires_grad=True)
    h2 = h1.detach().clone().requires_grad_(True)
    w = torch.randn(g.num_nodes(), 8)
    ours = layer(g, h1, ea)
    (ours * w).sum().backward()
    grads_ours = [p.grad.clone() for p in layer.parameters()]
    layer.zero_grad()
    ref = layer.conv(g, h2, layer.bond_encoder(ea))
    (ref * w).sum().backward()
    assert torch.equal(ours, ref)
    assert torch.equal(h1.grad, h2.grad)
    for a, b in zip(grads_ours, (p.grad for p in layer.parameters())):
        assert torch.equal(a, b)


def gcn_by_hand(layer, g, h, ea):
    """OGB GCNConv with PyG semantics: deg = degree(row) + 1 over the *source* index."""
    n, edges = g.num_nodes(), edge_list(g)
    hl = torch.stack([lin(layer.linear, r) for r in h])
    e = embed_codes(layer.bond_encoder.bond_embedding_list, ea.tolist())
    deg = [1.0 + sum(1 for (u, _) in edges if u == i) for i in range(n)]
    out = torch.zeros_like(hl)
    for i in range(n):
        for k, (u, v) in enumerate(edges):
            if v == i:
                out[i] += relu(hl[u] + e[k]) / (deg[u] ** 0.5 * deg[i] ** 0.5)
        out[i] += relu(hl[i] + layer.root_emb.weight[0]) / deg[i]
    return out


@pytest.mark.parametrize("directed", [False, True])
def test_gcn_layer_matches_hand_formula(directed):
    # the directed graph (node 3 has no in-edges, in- != out-degree) pins OGB's source-degree rule
    torch.manual_seed(1)
    g, _, ea = toy_graph(directed=directed, seed=2)
    d = 4
    layer = OGBGCNConv(d).double()
    with torch.no_grad():
        layer.root_emb.weight.normal_()
    h = torch.randn(4, d, dtype=torch.float64)
    torch.testing.assert_close(layer(g, h, ea), gcn_by_hand(layer, g, h, ea), rtol=1e-12, atol=1e-12)


def test_gcn_layer_gradients_match_hand_formula():
    torch.manual_seed(3)
    g, _, ea = toy_graph(seed=4)
    layer = OGBGCNConv(3).double()
    h1 = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    h2 = h1.detach().clone().requires_grad_(True)
    w = torch.randn(4, 3, dtype=torch.float64)
    (layer(g, h1, ea) * w).sum().backward()
    (gcn_by_hand(layer, g, h2, ea) * w).sum().backward()
    torch.testing.assert_close(h1.grad, h2.grad, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- virtual node
@pytest.mark.parametrize("train", [False, True])
def test_virtual_node_update_matches_hand_computation(train):
    torch.manual_seed(5)
    g1, x1, e1 = toy_graph(seed=6)
    g2 = mol_graph("CC(=O)N")
    x2, e2 = g2.ndata["feat"], g2.edata["feat"]
    g = dgl.batch([g1, dgl.graph(g2.edges(), num_nodes=g2.num_nodes())])  # features passed explicitly
    x, ea = torch.cat([x1, x2]), torch.cat([e1, e2])
    owner = [0] * g1.num_nodes() + [1] * g2.num_nodes()

    d, L = 6, 3
    model = OGBMolGNN(num_tasks=2, num_layers=L, emb_dim=d, gnn_type="gin", virtual_node=True,
                      drop_ratio=0.0).double()
    assert torch.count_nonzero(model.virtualnode_embedding.weight) == 0  # OGB: init 0
    randomize_bn(model)
    with torch.no_grad():
        model.virtualnode_embedding.weight.normal_()
    model.train(train)
    out = model.node_embed(g, x, ea)

    h = embed_codes(model.atom_encoder.atom_embedding_list, x.tolist())
    vn = [model.virtualnode_embedding.weight[0]] * 2
    for layer in range(L):
        h_in = h + torch.stack([vn[b] for b in owner])
        c = bn(model.batch_norms[layer], model.convs[layer](g, h_in, ea), train)
        h_new = c if layer == L - 1 else relu(c)
        if layer < L - 1:
            # OGB GNN_node_Virtualnode, residual=False: MLP(sum-pool of the layer *input* + vn)
            pooled = torch.stack([sum(h_in[i] for i in range(len(owner)) if owner[i] == b) + vn[b]
                                  for b in range(2)])
            new = mlp(model.mlp_virtualnode_list[layer], pooled, train)
            vn = [new[0], new[1]]
        h = h_new
    torch.testing.assert_close(out, h, rtol=1e-10, atol=1e-10)

    # head: mean over each graph's nodes, then the linear layer
    logits = model(g, x, ea) if not train else None
    if logits is not None:
        means = torch.stack([h[[i for i in range(len(owner)) if owner[i] == b]].mean(0) for b in range(2)])
        torch.testing.assert_close(logits, torch.stack([lin(model.graph_pred_linear, r) for r in means]),
                                   rtol=1e-10, atol=1e-10)


# ----------------------------------------------------------------------------- full models
VARIANTS = [("gin", False), ("gcn", False), ("gin", True), ("gcn", True)]
# OGB leaderboard (ogbg-molhiv, 5 layers, width 300, one task): GIN 1,885,206, GCN 527,701,
# GIN-v 3,336,306, GCN-v 1,978,801. They were counted with a 4-entry chirality vocabulary; ogb 1.3.6
# has 5 (adds 'misc'), i.e. one more AtomEncoder row of width 300 per model.
LEADERBOARD = {("gin", False): 1_885_206, ("gcn", False): 527_701,
               ("gin", True): 3_336_306, ("gcn", True): 1_978_801}


def hand_count(gnn_type, virtual, L=5, d=300, tasks=1):
    atom = sum(ATOM_FEATURE_DIMS) * d
    bond = sum(BOND_FEATURE_DIMS) * d
    bn_ = lambda n: 2 * n  # noqa: E731
    linear = lambda i, o: i * o + o  # noqa: E731
    if gnn_type == "gin":  # bond encoder, eps, Linear(d,2d) BN(2d) Linear(2d,d)
        conv = bond + 1 + linear(d, 2 * d) + bn_(2 * d) + linear(2 * d, d)
    else:  # Linear(d,d), root embedding, bond encoder
        conv = linear(d, d) + d + bond
    total = atom + L * (conv + bn_(d)) + linear(d, tasks)
    if virtual:
        total += d + (L - 1) * (linear(d, 2 * d) + bn_(2 * d) + linear(2 * d, d) + bn_(d))
    return total


@pytest.mark.parametrize("gnn_type,virtual", VARIANTS)
def test_parameter_counts(gnn_type, virtual):
    model = OGBMolGNN(gnn_type=gnn_type, virtual_node=virtual)
    n = sum(p.numel() for p in model.parameters())
    assert n == hand_count(gnn_type, virtual)
    assert n == LEADERBOARD[(gnn_type, virtual)] + 300 * (ATOM_FEATURE_DIMS[1] - 4)


@pytest.mark.parametrize("gnn_type,virtual", VARIANTS)
def test_forward_backward_and_batch_invariance(gnn_type, virtual):
    torch.manual_seed(7)
    graphs = [mol_graph(s) for s in SMILES]
    g = dgl.batch(graphs)
    model = OGBMolGNN(num_tasks=2, num_layers=3, emb_dim=32, gnn_type=gnn_type, virtual_node=virtual)
    model.train()
    out = model(g)
    assert out.shape == (3, 2) and torch.isfinite(out).all()
    out.sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None]
    assert not missing, missing
    assert model.convs[0].bond_encoder is not model.convs[1].bond_encoder

    model.eval()
    with torch.no_grad():
        batched = model(g, g.ndata["feat"], g.edata["feat"])
        alone = torch.cat([model(gi) for gi in graphs])
        emb = model.embed(g)
    torch.testing.assert_close(batched, alone, rtol=1e-5, atol=1e-6)
    assert emb.shape == (3, 32)
    torch.testing.assert_close(model.graph_pred_linear(emb), batched)


def test_structure_for_apply():
    model = OGBMolGNN(emb_dim=8, num_layers=2)
    assert isinstance(model.pool, dgl.nn.AvgPooling)
    assert isinstance(model.graph_pred_linear, torch.nn.Linear)
    assert list(model.named_children())[-1][0] == "graph_pred_linear"
    assert isinstance(OGBMolGNN(emb_dim=8, graph_pooling="sum").pool, dgl.nn.SumPooling)
    assert isinstance(OGBMolGNN(emb_dim=8, graph_pooling="max").pool, dgl.nn.MaxPooling)


def test_jk_sum_and_sum_readout():
    torch.manual_seed(8)
    g = dgl.batch([mol_graph(s) for s in SMILES])
    model = OGBMolGNN(num_layers=3, emb_dim=8, gnn_type="gcn", JK="sum", graph_pooling="sum").double()
    randomize_bn(model)
    model.eval()
    seen = []
    hooks = [m.register_forward_hook(lambda _m, _i, o: seen.append(o)) for m in model.batch_norms]
    with torch.no_grad():
        node = model.node_embed(g)
        pooled = model.embed(g)
    for hk in hooks:
        hk.remove()
    h0 = embed_codes(model.atom_encoder.atom_embedding_list, g.ndata["feat"].tolist())
    ref = h0 + relu(seen[0]) + relu(seen[1]) + seen[2]
    torch.testing.assert_close(node, ref, rtol=1e-12, atol=1e-12)
    sizes = g.batch_num_nodes().tolist()
    torch.testing.assert_close(pooled, torch.stack([c.sum(0) for c in torch.split(node, sizes)]))


# ----------------------------------------------------------------------------- errors
def test_input_validation():
    model = OGBMolGNN(emb_dim=8, num_layers=2)
    g = mol_graph("CCO")
    x, ea = g.ndata["feat"], g.edata["feat"]
    with pytest.raises(ValueError, match="integer"):
        model(g, x.float(), ea)
    with pytest.raises(ValueError, match=r"\(nodes, 9\)"):
        model(g, x[:, :8], ea)
    with pytest.raises(ValueError, match=r"\(edges, 3\)"):
        model(g, x, ea[:, :2])
    with pytest.raises(ValueError, match="rows for a graph with"):
        model(g, x[:-1], ea)
    with pytest.raises(ValueError, match="rows for a graph with"):
        model(g, x, ea[:-1])
    bad = x.clone()
    bad[0, 0] = ATOM_FEATURE_DIMS[0]
    with pytest.raises(ValueError, match="out of range"):
        model(g, bad, ea)
    with pytest.raises(ValueError, match="out of range"):
        model(g, x, ea - 1)
    with pytest.raises(ValueError, match="g.ndata"):
        model(dgl.graph(([0], [1])))
    with pytest.raises(ValueError, match="no nodes"):
        model(dgl.graph(([], []), num_nodes=0), torch.zeros(0, 9, dtype=torch.long),
              torch.zeros(0, 3, dtype=torch.long))
    for kwargs in [dict(gnn_type="gat"), dict(num_layers=1), dict(JK="cat"), dict(graph_pooling="set2set")]:
        with pytest.raises(ValueError):
            OGBMolGNN(emb_dim=8, **kwargs)
