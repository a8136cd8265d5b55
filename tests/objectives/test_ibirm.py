"""IB-IRM: IB variance by hand and the full loss from independently computed parts."""
import math

import pytest
import torch
from torch import nn

from hma_graph.objectives import IBIRM, ib_penalty


class FixedRepModel(nn.Module):
    """embed returns a hand-set (B, d) table; head is a fixed linear map."""

    def __init__(self, reps, weight):
        super().__init__()
        self.r = nn.Parameter(torch.tensor(reps, dtype=torch.float64))
        self.head = nn.Linear(len(weight[0]), len(weight), bias=False).double()
        with torch.no_grad():
            self.head.weight.copy_(torch.tensor(weight, dtype=torch.float64))

    def embed(self, g, x):
        return self.r

    def forward(self, g, x):
        return self.head(self.embed(g, x))


REPS = [[1.0, 0.0], [3.0, 2.0], [2.0, 4.0], [0.0, 2.0]]
W = [[1.0, 0.0], [0.0, 1.0]]  # logits = reps
Y = [1, 0, 1, 0]


def test_ib_variance_by_hand():
    # column 0: 1, 3, 2, 0 -> mean 1.5, unbiased var = (0.25 + 2.25 + 0.25 + 2.25) / 3 = 5/3
    # column 1: 0, 2, 4, 2 -> mean 2,   unbiased var = (4 + 0 + 4 + 0) / 3 = 8/3
    assert ib_penalty(torch.tensor(REPS)).item() == pytest.approx((5 / 3 + 8 / 3) / 2, abs=1e-6)
    assert ib_penalty(torch.tensor([[1.0, 2.0]])).item() == 0.0


def _dscale(row, label):
    ex = [math.exp(v) for v in row]
    return sum(e / sum(ex) * v for e, v in zip(ex, row)) - row[label]


def _ce(row, label):
    return math.log(sum(math.exp(v) for v in row)) - row[label]


def test_loss_is_erm_plus_irm_plus_ib():
    obj = IBIRM(FixedRepModel(REPS, W), penalty_weight=2.0, ib_weight=0.5)
    loss, logs = obj.loss(None, None, torch.tensor(Y), envs=torch.tensor([0, 0, 1, 1]))
    d = [_dscale(r, t) for r, t in zip(REPS, Y)]
    irm = ((d[0] + d[1]) / 2) ** 2 + ((d[2] + d[3]) / 2) ** 2
    ib = (5 / 3 + 8 / 3) / 2
    erm = sum(_ce(r, t) for r, t in zip(REPS, Y)) / 4
    assert logs["irm"] == pytest.approx(irm, abs=1e-12)
    assert logs["ib"] == pytest.approx(ib, abs=1e-12)
    assert loss.item() == pytest.approx(erm + 2.0 * irm + 0.5 * ib, abs=1e-12)
    loss.backward()
    assert obj.model.r.grad.abs().sum() > 0


def test_ib_gradient_shrinks_spread():
    r = torch.tensor(REPS, requires_grad=True)
    ib_penalty(r).backward()
    # d var / d r_ik = 2 (r_ik - mean_k) / (B - 1) / d : points away from the mean
    centered = torch.tensor(REPS) - torch.tensor(REPS).mean(0)
    assert torch.allclose(r.grad, 2 * centered / 3 / 2)
