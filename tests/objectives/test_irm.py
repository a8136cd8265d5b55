"""IRMv1 penalty against its closed form, zero at stationary points, gradient to the model."""
import math

import dgl
import pytest
import torch

from hma_graph.models import GNNClassifier
from hma_graph.objectives import IRM, irm_penalty


from _fixtures import FixedLogits  # tests/objectives/_fixtures.py (pytest puts this folder on sys.path)


def _dscale(row, label):
    """d/dw CE(w z, y) at w = 1 = sum_c softmax(z)_c z_c - z_y (by hand, plain floats)."""
    ex = [math.exp(v) for v in row]
    s = sum(ex)
    return sum(e / s * v for e, v in zip(ex, row)) - row[label]


LOGITS = [[0.0, 1.0], [2.0, 0.0], [0.0, -1.0], [1.0, 1.5]]
Y = [1, 0, 1, 0]
ENVS = [0, 0, 1, 1]


def test_squared_penalty_by_hand():
    d = [_dscale(r, t) for r, t in zip(LOGITS, Y)]
    expected = ((d[0] + d[1]) / 2) ** 2 + ((d[2] + d[3]) / 2) ** 2
    pen = irm_penalty(torch.tensor(LOGITS, dtype=torch.float64), torch.tensor(Y), torch.tensor(ENVS))
    assert pen.item() == pytest.approx(expected, abs=1e-12)
    assert expected > 1e-3  # the example is not trivially zero


def test_split_half_penalty_by_hand():
    d = [_dscale(r, t) for r, t in zip(LOGITS, Y)]
    # one environment of 4 samples: halves {0, 1} and {2, 3}
    expected = ((d[0] + d[1]) / 2) * ((d[2] + d[3]) / 2)
    pen = irm_penalty(torch.tensor(LOGITS, dtype=torch.float64), torch.tensor(Y),
                      torch.zeros(4, dtype=torch.long), form="split_half")
    assert pen.item() == pytest.approx(expected, abs=1e-12)


def test_split_half_keeps_every_sample_of_an_odd_sized_environment():
    logits = LOGITS + [[0.5, -0.5]]
    y = Y + [1]
    d = [_dscale(r, t) for r, t in zip(logits, y)]
    # one environment of 5 samples: halves {0, 1} and {2, 3, 4}; sample 4 is not dropped
    expected = ((d[0] + d[1]) / 2) * ((d[2] + d[3] + d[4]) / 3)
    pen = irm_penalty(torch.tensor(logits, dtype=torch.float64), torch.tensor(y),
                      torch.zeros(5, dtype=torch.long), form="split_half")
    assert pen.item() == pytest.approx(expected, abs=1e-12)
    assert abs(d[4]) > 1e-3  # dropping it would change the value


def test_objective_loss_is_erm_plus_weighted_penalty():
    obj = IRM(FixedLogits(LOGITS), penalty_weight=5.0)
    loss, logs = obj.loss(None, None, torch.tensor(Y), envs=torch.tensor(ENVS))
    d = [_dscale(r, t) for r, t in zip(LOGITS, Y)]
    pen = ((d[0] + d[1]) / 2) ** 2 + ((d[2] + d[3]) / 2) ** 2
    assert logs["irm"] == pytest.approx(pen, abs=1e-12)
    assert loss.item() == pytest.approx(logs["erm"] + 5.0 * pen, abs=1e-12)


def test_autograd_penalty_matches_closed_form_three_classes():
    torch.manual_seed(0)
    z = torch.randn(9, 3, dtype=torch.float64) * 2
    y = torch.randint(0, 3, (9,))
    envs = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2])
    p = torch.softmax(z, 1)
    d = (p * z).sum(1) - z[torch.arange(9), y]
    expected = sum(d[envs == e].mean() ** 2 for e in range(3))
    assert irm_penalty(z, y, envs).item() == pytest.approx(expected.item(), abs=1e-12)


def _stationary_scale(z, y):
    """w* with d/dw mean CE(w z, y) = 0, by bisection on the (increasing) derivative."""
    def deriv(w):
        zw = z * w
        p = torch.softmax(zw, 1)
        return ((p * z).sum(1) - z[torch.arange(len(y)), y]).mean().item()
    lo, hi = -50.0, 50.0
    assert deriv(lo) < 0 < deriv(hi)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if deriv(mid) < 0 else (lo, mid)
    return (lo + hi) / 2


def test_zero_at_a_stationary_point_of_every_environment():
    torch.manual_seed(3)
    z = torch.randn(8, 3, dtype=torch.float64)
    y = torch.randint(0, 3, (8,))
    envs = torch.tensor([0, 1] * 4)
    # each environment holds one logit row twice, labelled with its argmax and its argmin, so its
    # risk grows as w -> +inf and as w -> -inf: a stationary scale exists
    for a, b in ((0, 2), (1, 3)):
        z[b] = z[a]
        y[a], y[b] = z[a].argmax(), z[a].argmin()
    scaled = z.clone()
    for e in (0, 1):
        m = envs == e
        scaled[m] = z[m] * _stationary_scale(z[m], y[m])
    assert irm_penalty(z, y, envs).item() > 1e-4
    assert irm_penalty(scaled, y, envs).item() == pytest.approx(0.0, abs=1e-20)


def test_penalty_carries_gradient_to_model_parameters():
    torch.manual_seed(0)
    g = dgl.batch([dgl.graph(([0, 1, 2], [1, 2, 0]), num_nodes=4) for _ in range(6)])
    x = torch.randn(g.num_nodes(), 3)
    y = torch.tensor([0, 1, 0, 1, 1, 0])
    model = GNNClassifier(3, 2, hidden=8, num_layers=2)
    pen = irm_penalty(model(g, x), y, torch.tensor([0, 0, 0, 1, 1, 1]))
    assert pen.requires_grad and pen.item() > 0
    pen.backward()
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(gr).all() for gr in grads)
    assert sum(gr.abs().sum() for gr in grads) > 0


def test_bad_form_is_named():
    with pytest.raises(ValueError, match="form"):
        IRM(FixedLogits(LOGITS), form="product")
