"""hma_graph.apply on hand-written DGL classifiers: detection, training contract, momentum copy,
state_dict round trip, errors."""
import copy
import io

import dgl
import pytest
import torch
import torch.nn.functional as F
from dgl.nn import AvgPooling, GINConv, GlobalAttentionPooling, GraphConv, SAGEConv, Set2Set
from torch import nn

import hma_graph
from hma_graph.models import GNNClassifier

IN, HID, C = 6, 16, 3


class AvgLinear(nn.Module):
    """GraphConv x2, AvgPooling module, dropout, Linear head; returns log-probabilities."""

    def __init__(self):
        super().__init__()
        self.conv1 = GraphConv(IN, HID, allow_zero_in_degree=True)
        self.conv2 = GraphConv(HID, HID, allow_zero_in_degree=True)
        self.bn = nn.BatchNorm1d(HID)
        self.drop = nn.Dropout(0.2)
        self.readout = AvgPooling()
        self.classify = nn.Linear(HID, C)

    def forward(self, g, x):
        h = torch.relu(self.conv1(g, x))
        h = self.bn(self.conv2(g, h))
        return F.log_softmax(self.classify(self.drop(self.readout(g, h))), dim=-1)


class MeanMLP(nn.Module):
    """SAGEConv layers, dgl.mean_nodes (a function), MLP head."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([SAGEConv(IN, HID, "mean"), SAGEConv(HID, HID, "mean")])
        self.mlp = nn.Sequential(nn.Linear(HID, HID), nn.ReLU(), nn.Linear(HID, C))

    def forward(self, g, x):
        h = x
        for layer in self.layers:
            h = torch.relu(layer(g, h))
        with g.local_scope():
            g.ndata["h"] = h
            hg = dgl.mean_nodes(g, "h")
        return self.mlp(hg)


class Set2SetModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GINConv(nn.Linear(IN, HID), "sum")
        self.pool = Set2Set(HID, n_iters=2, n_layers=1)
        self.out = nn.Linear(2 * HID, C)

    def forward(self, g, x):
        return self.out(self.pool(g, torch.relu(self.conv(g, x))))


class GatedModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GraphConv(IN, HID, allow_zero_in_degree=True)
        self.pool = GlobalAttentionPooling(nn.Linear(HID, 1))  # its gate is a Linear: not the head
        self.fc = nn.Linear(HID, C)

    def forward(self, g, x):
        return self.fc(self.pool(g, self.conv(g, x)))


class NodeClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GraphConv(IN, HID, allow_zero_in_degree=True)
        self.lin = nn.Linear(HID, C)

    def forward(self, g, x):
        return self.lin(torch.relu(self.conv(g, x)))


class HeadBeforeReadout(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = GraphConv(IN, HID, allow_zero_in_degree=True)
        self.lin = nn.Linear(HID, C)
        self.pool = AvgPooling()

    def forward(self, g, x):
        return self.pool(g, self.lin(self.conv(g, x)))


def rand_graph(num_nodes, num_edges):
    """Random undirected graph from torch's RNG (dgl.rand_graph uses DGL's own RNG)."""
    src, dst = torch.randint(0, num_nodes, (2, num_edges))
    return dgl.graph((torch.cat([src, dst]), torch.cat([dst, src])), num_nodes=num_nodes)


def batch(n=6, seed=0):
    torch.manual_seed(seed)
    gs = [rand_graph(int(torch.randint(3, 9, ())), 7) for _ in range(n)]
    g = dgl.batch(gs)
    return g, torch.randn(g.num_nodes(), IN), torch.randint(0, C, (n,)), gs


def train(model, steps=3, seed=0):
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for s in range(steps):
        g, x, y, _ = batch(seed=seed + s)
        loss = F.cross_entropy(model(g, x, labels=y), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return opt


OPTS = dict(memory_size=10, slots_per_class=4)


@pytest.mark.parametrize("cls,head", [(AvgLinear, "classify"), (MeanMLP, "mlp"), (Set2SetModel, "out"),
                                      (GatedModel, "fc"), (GNNClassifier, "head")])
def test_apply_finds_the_head_and_trains(cls, head):
    torch.manual_seed(0)
    user = cls() if cls is not GNNClassifier else GNNClassifier(IN, C, hidden=HID)
    user_params = {n: p for n, p in user.named_parameters() if not n.startswith(head + ".")}
    model = hma_graph.apply(user, **OPTS)
    assert model.head_name == head
    assert isinstance(user.get_submodule(head), hma_graph.wrapper.HeadTap)
    assert model.hma.feat_dim == (2 * HID if cls is Set2SetModel else HID) and model.hma.num_classes == C
    # the backbone's parameters are the user's own objects, and the optimiser sees them
    ids = {id(p) for p in model.parameters()}
    assert all(id(p) in ids for p in user_params.values())
    train(model)
    assert len(model.hma.queue) == 10
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in user_params.values()
               if p.requires_grad and p.dim() > 1)
    model.eval()
    g, x, _, _ = batch(seed=9)
    assert model(g, x).shape == (6, C)


def test_momentum_copy_is_buffers_and_follows_the_momentum_rule():
    torch.manual_seed(0)
    model = hma_graph.apply(AvgLinear(), momentum=0.9, momentum_warmup=False, **OPTS)
    mom_ids = {id(b) for b in model.momentum.buffers()}
    assert not mom_ids & {id(p) for p in model.parameters()}, "momentum copy must not be optimised"
    assert all(not b.requires_grad for b in model.momentum.buffers())
    w = model.backbone.conv1.weight
    key = model._momentum_names["conv1.weight"]
    torch.testing.assert_close(getattr(model.momentum, key), w.detach())
    train(model, steps=1)  # step 1: momentum update (a no-op), then the optimiser moves w
    theta_k, theta_q = getattr(model.momentum, key).clone(), w.detach().clone()
    assert not torch.equal(theta_k, theta_q)
    g, x, y, _ = batch(seed=5)
    model(g, x, labels=y)  # the next training forward applies the momentum step
    torch.testing.assert_close(getattr(model.momentum, key), 0.9 * theta_k + 0.1 * theta_q)
    # the stored keys are the momentum copy's (eval-mode) embeddings of that batch
    torch.testing.assert_close(model.hma.queue.contents()[0][-6:], model.momentum_embed(g, x))
    # evaluation changes neither memory nor momentum state
    state = copy.deepcopy(model.state_dict())
    model.eval()
    model(g, x, labels=y)
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_momentum_warmup_follows_the_ramp_by_hand():
    """lambda_t = min(lambda, (1 + t) / (10 + t)) for the t-th update: replay every update by hand."""
    torch.manual_seed(0)
    model = hma_graph.apply(AvgLinear(), momentum=0.5, **OPTS)  # ramp 0.1, 0.18, 0.25, ... capped at 0.5
    w = model.backbone.conv1.weight
    key = model._momentum_names["conv1.weight"]
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    expected = getattr(model.momentum, key).clone()
    lams = []
    for step in range(12):
        g, x, y, _ = batch(seed=step)
        theta_q = w.detach().clone()
        t = int(model.momentum_updates)
        assert t == step
        lam = min(0.5, (1 + t) / (10 + t))
        lams.append(lam)
        loss = F.cross_entropy(model(g, x, labels=y), y)  # applies update t, then reads and writes
        expected = lam * expected + (1 - lam) * theta_q
        torch.testing.assert_close(getattr(model.momentum, key), expected)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert lams[:3] == [0.1, 2 / 11, 0.25] and lams[-1] == 0.5  # the cap is reached (t = 8 -> 9/18)
    # the counter is state: it survives a state_dict round trip, and evaluation does not advance it
    model.eval()
    model(g, x)
    assert int(model.momentum_updates) == 12 and int(model.state_dict()["momentum_updates"]) == 12


def test_online_memory_encoder_has_no_momentum_copy():
    model = hma_graph.apply(AvgLinear(), memory_encoder="online", **OPTS)
    assert model.momentum is None
    train(model, steps=2)
    assert len(model.hma.queue) == 10


def test_no_leakage_through_the_full_model():
    torch.manual_seed(0)
    model = hma_graph.apply(GNNClassifier(IN, C, hidden=HID, dropout=0.3), inference="batch", **OPTS)
    train(model, steps=2)
    g, x, y, _ = batch(seed=11)
    state = copy.deepcopy(model.state_dict())
    outs = []
    for labels in (y, (y + 1) % C):
        model.load_state_dict(state)
        torch.manual_seed(3)
        outs.append(model(g, x, labels=labels))
    torch.testing.assert_close(outs[0], outs[1], rtol=0, atol=0)


def test_isolated_prediction_is_the_same_alone_and_in_any_batch():
    torch.manual_seed(0)
    model = hma_graph.apply(GNNClassifier(IN, C, hidden=HID, dropout=0.3), **OPTS)
    train(model)
    model.eval()
    g, x, _, gs = batch(seed=4)
    full = model(g, x)
    offs = [0] + torch.cumsum(g.batch_num_nodes(), 0).tolist()
    for i, gi in enumerate(gs):
        alone = model(dgl.batch([gi]), x[offs[i]:offs[i + 1]])
        torch.testing.assert_close(alone[0], full[i], rtol=1e-5, atol=1e-5)


def test_state_dict_round_trip_restores_predictions_memory_and_momentum():
    torch.manual_seed(0)
    a = hma_graph.apply(GNNClassifier(IN, C, hidden=HID), **OPTS)
    train(a)
    buf = io.BytesIO()
    torch.save(a.state_dict(), buf)
    buf.seek(0)
    torch.manual_seed(42)  # a different initialisation, overwritten by the load
    b = hma_graph.apply(GNNClassifier(IN, C, hidden=HID), **OPTS)
    b.load_state_dict(torch.load(buf, weights_only=True))
    a.eval()
    b.eval()
    g, x, _, _ = batch(seed=7)
    torch.testing.assert_close(b(g, x), a(g, x), rtol=0, atol=0)
    assert torch.equal(b.hma.queue.contents()[0], a.hma.queue.contents()[0])
    for (ka, va), (kb, vb) in zip(a.momentum.state_dict().items(), b.momentum.state_dict().items()):
        assert ka == kb and torch.equal(va, vb)


def test_to_moves_everything():
    model = hma_graph.apply(GNNClassifier(IN, C, hidden=HID), **OPTS).to(torch.float64)
    assert all(t.dtype == torch.float64 for t in model.momentum.buffers() if t.is_floating_point())
    assert model.hma.queue.feats.dtype == torch.float64
    g, x, y, _ = batch()
    assert model(g, x.double(), labels=y).dtype == torch.float64
    if torch.cuda.is_available():  # DGL's wheel here is CPU-only; runs where a CUDA DGL exists
        pytest.skip("device move of DGL graphs is not testable with the CPU DGL wheel")


def test_binary_single_logit_model():
    torch.manual_seed(0)
    model = hma_graph.apply(GNNClassifier(IN, 1, hidden=HID), **OPTS)
    assert model.hma.binary
    g, x, _, _ = batch()
    y = torch.tensor([[0.0], [1.0], [1.0], [float("nan")], [0.0], [1.0]])
    assert model(g, x, labels=y).shape == (6, 1)
    assert len(model.hma.queue) == 5


def test_errors_name_the_problem():
    with pytest.raises(hma_graph.HMAApplyError, match="could not find a graph readout"):
        hma_graph.apply(NodeClassifier())
    with pytest.raises(hma_graph.HMAApplyError, match="no Linear/MLP head registered after it"):
        hma_graph.apply(HeadBeforeReadout())
    with pytest.raises(hma_graph.HMAApplyError, match="is not a submodule"):
        hma_graph.apply(AvgLinear(), head="predict")
    with pytest.raises(hma_graph.HMAApplyError, match="num_classes=4"):
        hma_graph.apply(AvgLinear(), 4)
    model = hma_graph.apply(HeadBeforeReadout(), head="lin", **OPTS)  # named, but wrong
    g, x, y, _ = batch()
    with pytest.raises(hma_graph.HMAApplyError, match="does not sit after the readout"):
        model(g, x, labels=y)
    with pytest.raises(hma_graph.HMAApplyError, match="already"):
        hma_graph.apply(hma_graph.apply(AvgLinear()))
    model = hma_graph.apply(GNNClassifier(IN, C, hidden=HID), **OPTS)
    with pytest.raises(ValueError, match="needs the batch labels"):
        model(g, x)
    state = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match="out of range"):
        model(g, x, labels=torch.full((6,), C))
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items()), "state touched"
    with pytest.raises(ValueError, match=f"shape \\(num_nodes, {IN}\\)"):
        model(g, torch.randn(g.num_nodes(), IN + 2), labels=y)


def test_apply_on_the_ogb_molecule_backbones():
    from ogb.utils import smiles2graph

    from hma_graph.models import OGBMolGNN

    gs = []
    for s in ["CCO", "c1ccccc1O", "CC(=O)N", "CCN(CC)CC"]:
        d = smiles2graph(s)
        g = dgl.graph((torch.from_numpy(d["edge_index"][0]), torch.from_numpy(d["edge_index"][1])),
                      num_nodes=d["num_nodes"])
        g.ndata["feat"], g.edata["feat"] = torch.from_numpy(d["node_feat"]), torch.from_numpy(d["edge_feat"])
        gs.append(g)
    g = dgl.batch(gs)
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    for gnn, vn in [("gin", False), ("gcn", False), ("gin", True), ("gcn", True)]:
        model = hma_graph.apply(OGBMolGNN(num_layers=2, emb_dim=32, gnn_type=gnn, virtual_node=vn),
                                memory_size=8, slots_per_class=2)
        assert model.head_name == "graph_pred_linear" and model.hma.binary and model.hma.feat_dim == 32
        out = model(g, g.ndata["feat"], g.edata["feat"], labels=y)
        F.binary_cross_entropy_with_logits(out, y).backward()
        assert len(model.hma.queue) == 4


def test_param_groups_split_backbone_and_hma():
    model = hma_graph.apply(AvgLinear(), memory_size=8, slots_per_class=2)
    one = model.param_groups(1e-3)
    assert len(one) == 1 and one[0]["lr"] == 1e-3
    assert {id(p) for p in one[0]["params"]} == {id(p) for p in model.parameters()}
    backbone, hma = model.param_groups(1e-3, hma_lr=1e-4)
    assert backbone["lr"] == 1e-3 and hma["lr"] == 1e-4
    ids_b, ids_h = {id(p) for p in backbone["params"]}, {id(p) for p in hma["params"]}
    assert not ids_b & ids_h and ids_b | ids_h == {id(p) for p in model.parameters()}
    assert ids_h == {id(p) for p in model.hma.parameters()}
    with pytest.raises(ValueError, match="learning rates must be > 0"):
        model.param_groups(1e-3, hma_lr=0.0)
