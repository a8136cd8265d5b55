"""GNNClassifier(head_layers=2): G-Mixup's GIN head Linear(d, d)-ReLU-Linear(d, C); the default
model is unchanged (same modules, same parameters from the same seed); HMA replaces the whole head."""
import dgl
import pytest
import torch
from torch import nn

import hma_graph
from hma_graph.models import GNNClassifier


def batch():
    g = dgl.batch([dgl.graph(([0, 1, 1, 2], [1, 0, 2, 1]), num_nodes=3), dgl.graph(([0], [1]), num_nodes=2)])
    return g, torch.randn(5, 4, generator=torch.Generator().manual_seed(0))


def test_two_layer_head_by_hand():
    torch.manual_seed(0)
    m = GNNClassifier(4, 3, hidden=8, num_layers=2, head_layers=2).eval()
    assert [type(x) for x in m.head] == [nn.Linear, nn.ReLU, nn.Linear]
    assert (m.head[0].in_features, m.head[0].out_features, m.head[2].out_features) == (8, 8, 3)
    g, x = batch()
    z = m.embed(g, x)
    want = torch.relu(z @ m.head[0].weight.T + m.head[0].bias) @ m.head[2].weight.T + m.head[2].bias
    assert torch.allclose(m(g, x), want, atol=1e-6)


def test_default_head_is_unchanged():
    torch.manual_seed(0)
    one = GNNClassifier(4, 3, hidden=8)
    torch.manual_seed(0)
    same = GNNClassifier(4, 3, hidden=8, head_layers=1)
    assert isinstance(one.head, nn.Linear)
    for (k, a), (_, b) in zip(one.state_dict().items(), same.state_dict().items()):
        assert torch.equal(a, b), k
    with pytest.raises(ValueError, match="head_layers"):
        GNNClassifier(4, 3, head_layers=3)


def test_hma_replaces_the_whole_two_layer_head():
    torch.manual_seed(0)
    backbone = GNNClassifier(4, 3, hidden=8, num_layers=2, head_layers=2)
    head = backbone.head
    model = hma_graph.apply(backbone, memory_size=8, slots_per_class=2)
    assert model.head_name == "head" and not any(p is q for p in head.parameters() for q in model.parameters())
    g, x = batch()
    assert model(g, x, labels=torch.tensor([0, 2])).shape == (2, 3)
