"""V-REx penalty: variance by hand, zero for equal risks, and a gradient that moves the model."""
import math

import dgl
import pytest
import torch
from torch import nn

from hma_graph.models import GNNClassifier
from hma_graph.objectives import VREx, vrex_penalty


from _fixtures import FixedLogits  # tests/objectives/_fixtures.py (pytest puts this folder on sys.path)


def _ce(row, label):
    return math.log(sum(math.exp(v) for v in row)) - row[label]


LOGITS = [[0.0, 1.0], [2.0, 0.0], [0.0, -1.0], [1.0, 1.5]]
Y = [1, 0, 1, 0]


def test_variance_by_hand_two_envs():
    losses = [_ce(r, t) for r, t in zip(LOGITS, Y)]
    r0, r1 = (losses[0] + losses[2]) / 2, (losses[1] + losses[3]) / 2
    expected = (r0 - r1) ** 2 / 4  # population variance of two values
    obj = VREx(FixedLogits(LOGITS), penalty_weight=2.0)
    loss, logs = obj.loss(None, None, torch.tensor(Y), envs=torch.tensor([0, 1, 0, 1]))
    assert logs["vrex"] == pytest.approx(expected, abs=1e-12)
    assert loss.item() == pytest.approx(sum(losses) / 4 + 2.0 * expected, abs=1e-12)


def test_variance_by_hand_three_envs_and_empty_env_ignored():
    per = torch.tensor([1.0, 3.0, 2.0, 6.0, 0.5, 0.5], dtype=torch.float64)
    envs = torch.tensor([0, 0, 2, 2, 5, 5])  # ids need not be contiguous
    risks = [2.0, 4.0, 0.5]
    m = sum(risks) / 3
    expected = sum((r - m) ** 2 for r in risks) / 3
    assert vrex_penalty(per, envs).item() == pytest.approx(expected, abs=1e-12)


def test_zero_when_environment_risks_are_equal():
    # env 1 holds the same samples as env 0: equal risks
    logits = LOGITS[:2] + LOGITS[:2]
    y = Y[:2] + Y[:2]
    _, logs = VREx(FixedLogits(logits)).loss(None, None, torch.tensor(y), envs=torch.tensor([0, 0, 1, 1]))
    assert logs["vrex"] == 0.0


def test_penalty_has_gradient_and_a_step_reduces_it():
    torch.manual_seed(0)
    g = dgl.batch([dgl.graph(([0, 1, 2], [1, 2, 0]), num_nodes=4) for _ in range(8)])
    x = torch.randn(g.num_nodes(), 3)
    y = torch.tensor([0, 1, 0, 1, 1, 0, 1, 1])
    envs = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    model = GNNClassifier(3, 2, hidden=8, num_layers=2).eval()  # deterministic forward

    def pen():
        return vrex_penalty(nn.functional.cross_entropy(model(g, x), y, reduction="none"), envs)

    p0 = pen()
    assert p0.item() > 0
    p0.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    gnorm2 = sum((gr ** 2).sum() for gr in grads)
    assert gnorm2 > 0  # the reference's detached variance would give exactly zero here
    lr = 1e-3 * p0.item() / gnorm2.item()
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad
    assert pen().item() < p0.item()
