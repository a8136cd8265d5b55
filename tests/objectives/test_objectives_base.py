"""Objective interface, ERM, environments, registry, HMA call convention."""
import math

import dgl
import pytest
import torch
from torch import nn

from hma_graph.models import GNNClassifier
from hma_graph.objectives import (ERM, OBJECTIVES, make_objective, model_logits, per_sample_loss,
                                  random_environments)


class FixedLogits(nn.Module):
    """A 'model' whose output is a learnable (B, C) table: lets tests hand-set logits."""

    def __init__(self, logits):
        super().__init__()
        self.z = nn.Parameter(torch.tensor(logits, dtype=torch.float64))

    def forward(self, g, x):
        return self.z


class RecordingHMA(nn.Module):
    hma_wrapped = True

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 2)
        self.calls = []

    def forward(self, g, x, labels=None):
        self.calls.append(labels)
        return self.lin(torch.ones(4, 1))


def _ce_by_hand(row, label):
    return math.log(sum(math.exp(v) for v in row)) - row[label]


def test_erm_is_mean_cross_entropy_by_hand():
    logits = [[0.0, 1.0], [2.0, 0.0], [0.5, -1.0]]
    y = torch.tensor([1, 0, 0])
    loss, logs = ERM(FixedLogits(logits)).loss(None, None, y)
    expected = sum(_ce_by_hand(r, int(t)) for r, t in zip(logits, y)) / 3
    assert loss.item() == pytest.approx(expected, abs=1e-12)
    assert logs["loss"] == pytest.approx(expected, abs=1e-12)
    loss.backward()  # carries gradient to the model


def test_single_logit_uses_binary_cross_entropy():
    z, t = [[0.3], [-1.2]], [1, 0]
    loss, _ = ERM(FixedLogits(z)).loss(None, None, torch.tensor(t))
    sig = lambda v: 1 / (1 + math.exp(-v))
    expected = -(math.log(sig(0.3)) + math.log(1 - sig(-1.2))) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-12)


def test_erm_on_a_gnn_draws_no_random_numbers():
    torch.manual_seed(0)
    g = dgl.batch([dgl.graph(([0, 1], [1, 0]), num_nodes=3) for _ in range(4)])
    model = GNNClassifier(3, 2, hidden=8, num_layers=2)
    x = torch.randn(g.num_nodes(), 3)
    state = torch.get_rng_state()
    ERM(model).loss(g, x, torch.tensor([0, 1, 0, 1]))
    assert torch.equal(state, torch.get_rng_state())


@pytest.mark.parametrize("b,k", [(4, 2), (5, 2), (7, 3), (1, 2), (32, 2)])
def test_random_environments_partition_near_equal_sizes(b, k):
    torch.manual_seed(1)
    envs = random_environments(b, k)
    assert envs.shape == (b,) and envs.dtype == torch.long
    sizes = torch.bincount(envs, minlength=k)
    assert sizes.sum() == b and sizes.max() - sizes.min() <= 1
    torch.manual_seed(1)
    assert torch.equal(envs, random_environments(b, k))  # seeded by torch's global RNG


def test_random_environments_are_random():
    torch.manual_seed(0)
    draws = {tuple(random_environments(10).tolist()) for _ in range(20)}
    assert len(draws) > 10


def test_hma_wrapped_model_gets_labels_in_training_only():
    m = RecordingHMA()
    y = torch.tensor([0, 1, 1, 0])
    for name in ("erm", "irm", "vrex"):
        m.calls.clear()
        obj = make_objective(name, m)
        obj.loss(None, None, y)
        assert len(m.calls) == 1 and torch.equal(m.calls[0], y)
        obj.predict(None, None)
        assert m.calls[-1] is None
    assert model_logits(m, None, None).shape == (4, 2)


def test_ibirm_rejects_hma_wrapped_model():
    with pytest.raises(ValueError, match="HMA"):
        make_objective("ibirm", RecordingHMA()).loss(None, None, torch.tensor([0, 1, 1, 0]))


def test_registry_and_unknown_names():
    assert set(OBJECTIVES) == {"erm", "irm", "vrex", "ibirm", "cigav1", "cigav2", "dir", "mmixup"}
    model = FixedLogits([[0.0, 1.0]])
    assert type(make_objective("IRM", model, penalty_weight=3.0)).__name__ == "IRM"
    with pytest.raises(ValueError, match="unknown objective 'dro'.*cigav1"):
        make_objective("dro", model)
    with pytest.raises(TypeError):
        make_objective("vrex", model, lambda_=1.0)
    with pytest.raises(TypeError, match="CIGAModel"):
        make_objective("cigav1", model)


@pytest.mark.parametrize("y,msg", [(torch.tensor([0, 2]), "out of range"),
                                    (torch.tensor([0, -1]), "out of range"),
                                    (torch.tensor([0, 1, 1]), "shape"),
                                    (torch.tensor([0.0, 0.5]), "integer"),
                                    (torch.tensor([0.0, float("nan")]), "NaN")])
def test_bad_labels_are_named(y, msg):
    with pytest.raises(ValueError, match=msg):
        ERM(FixedLogits([[0.0, 1.0], [1.0, 0.0]])).loss(None, None, y)


def test_bad_envs_are_named():
    obj = make_objective("vrex", FixedLogits([[0.0, 1.0], [1.0, 0.0]]))
    with pytest.raises(ValueError, match="envs"):
        obj.loss(None, None, torch.tensor([0, 1]), envs=torch.tensor([0, 1, 1]))


def test_per_sample_loss_shape():
    assert per_sample_loss(torch.zeros(5, 3), torch.tensor([0, 1, 2, 0, 1])).shape == (5,)
