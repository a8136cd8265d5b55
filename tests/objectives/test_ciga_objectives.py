"""CIGAv1/v2 objectives: SupCon and hinge by hand, what carries gradient, hyperparameter table."""
import math

import dgl
import pytest
import torch

from hma_graph.models.ciga import CIGAModel
from hma_graph.objectives import (CIGAv1, CIGAv2, per_sample_loss, spurious_hinge,
                                  supervised_contrastive_loss)


def test_supcon_by_hand_on_three_vectors():
    u1, u2, u3 = (1.0, 0.0), (0.0, 1.0), (0.6, 0.8)
    # unnormalised inputs: the loss must normalise them
    reps = torch.tensor([[2 * u1[0], 2 * u1[1]], [3 * u2[0], 3 * u2[1]], [0.5 * u3[0], 0.5 * u3[1]]])
    y = torch.tensor([0, 0, 1])
    dot = lambda a, b: a[0] * b[0] + a[1] * b[1]
    # anchor 1: positive 2, others {2, 3}; anchor 2: positive 1, others {1, 3}; anchor 3: no positive
    l1 = -(dot(u1, u2) - math.log(math.exp(dot(u1, u2)) + math.exp(dot(u1, u3))))
    l2 = -(dot(u2, u1) - math.log(math.exp(dot(u2, u1)) + math.exp(dot(u2, u3))))
    expected = (l1 + l2) / 2
    assert supervised_contrastive_loss(reps, y).item() == pytest.approx(expected, abs=1e-6)
    # temperature divides the similarities
    t = 0.5
    l1t = -(dot(u1, u2) / t - math.log(math.exp(dot(u1, u2) / t) + math.exp(dot(u1, u3) / t)))
    l2t = -(dot(u2, u1) / t - math.log(math.exp(dot(u2, u1) / t) + math.exp(dot(u2, u3) / t)))
    assert supervised_contrastive_loss(reps, y, t).item() == pytest.approx((l1t + l2t) / 2, abs=1e-6)


def test_supcon_two_positives_averaged():
    reps = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    y = torch.tensor([0, 0, 0])
    s = [[None, 0.0, -1.0], [0.0, None, 0.0], [-1.0, 0.0, None]]
    total = 0.0
    for i in range(3):
        others = [j for j in range(3) if j != i]
        lse = math.log(sum(math.exp(s[i][j]) for j in others))
        total += -sum(s[i][j] - lse for j in others) / 2
    assert supervised_contrastive_loss(reps, y).item() == pytest.approx(total / 3, abs=1e-6)


def test_supcon_zero_without_positives_and_finite():
    reps = torch.randn(4, 3, requires_grad=True)
    loss = supervised_contrastive_loss(reps, torch.tensor([0, 1, 2, 3]))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.isfinite(reps.grad).all()


def test_hinge_by_hand_and_its_gradient():
    spu = torch.tensor([1.0, 0.2, 3.0, 0.5], requires_grad=True)
    cau = torch.tensor([0.5, 0.7, 1.0, 0.5], requires_grad=True)
    hinge, mask = spurious_hinge(spu, cau)
    assert mask.tolist() == [True, False, True, False]  # ties are not "larger"
    assert hinge.item() == pytest.approx((1.0 + 3.0) / 2)
    hinge.backward()
    assert spu.grad.tolist() == [0.5, 0.0, 0.5, 0.0]
    assert cau.grad is None or cau.grad.abs().sum() == 0


def test_hinge_zero_when_spurious_never_worse():
    h, mask = spurious_hinge(torch.tensor([0.1, 0.2]), torch.tensor([0.5, 0.5]))
    assert h.item() == 0.0 and not mask.any()


def _batch(seed=0, n_graphs=8):
    torch.manual_seed(seed)
    graphs = []
    for i in range(n_graphs):
        n = 5 + i % 3
        src = torch.arange(n)
        dst = (src + 1) % n
        graphs.append(dgl.graph((torch.cat([src, dst]), torch.cat([dst, src])), num_nodes=n))
    g = dgl.batch(graphs)
    return g, torch.randn(g.num_nodes(), 4), torch.tensor([i % 2 for i in range(n_graphs)])


def _grad_norm(module):
    return sum(p.grad.abs().sum().item() for p in module.parameters() if p.grad is not None)


@pytest.mark.parametrize("detach", [False, True])
def test_spurious_loss_reaches_the_edge_scorer_unless_detached(detach):
    g, x, y = _batch()
    torch.manual_seed(0)
    model = CIGAModel(4, 2, hidden=8, num_layers=2, ratio=0.5)
    out = model.outputs(g, x, spurious=True, detach_spurious_rep=detach)
    per_sample_loss(out.spurious_logits, y).sum().backward()
    assert _grad_norm(model.spurious_head) > 0
    reached = _grad_norm(model.edge_scorer) + _grad_norm(model.featurizer) + _grad_norm(model.classifier)
    assert (reached == 0) == detach


def test_cigav2_loss_is_v1_plus_beta_hinge():
    g, x, y = _batch(1)
    torch.manual_seed(1)
    model = CIGAModel(4, 2, hidden=8, num_layers=2, ratio=0.5).eval()  # deterministic passes
    loss, logs = CIGAv2(model, alpha=0.7, beta=2.0).loss(g, x, y)
    out = model.outputs(g, x, spurious=True)
    lc = per_sample_loss(out.causal_logits, y)
    ls = per_sample_loss(out.spurious_logits, y)
    sel = ls > lc
    hinge = (ls[sel].sum() / max(int(sel.sum()), 1)).item()
    con = supervised_contrastive_loss(out.causal_rep, y).item()
    assert logs["hinge"] == pytest.approx(hinge, abs=1e-5)
    assert loss.item() == pytest.approx(lc.mean().item() + 0.7 * con + 2.0 * hinge, abs=1e-5)
    v1, logs1 = CIGAv1(model, alpha=0.7).loss(g, x, y)
    assert v1.item() == pytest.approx(lc.mean().item() + 0.7 * con, abs=1e-5)
    assert "hinge" not in logs1


def test_predict_is_causal_logits():
    g, x, y = _batch(2)
    model = CIGAModel(4, 2, hidden=8, num_layers=2, ratio=0.5).eval()
    with torch.no_grad():
        assert torch.allclose(CIGAv1(model).predict(g, x), model.outputs(g, x).causal_logits)
