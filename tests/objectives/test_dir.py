"""DIR: interventional risks by hand, the loss and its schedule, where the gradients go."""
import dgl
import pytest
import torch
import torch.nn.functional as F

from hma_graph.models.ciga import CIGAModel
from hma_graph.objectives import DIR, interventional_risks, make_objective


def test_interventional_risks_by_hand():
    causal = torch.tensor([[1.0, -1.0, 0.5], [0.0, 2.0, -0.5]], dtype=torch.float64)
    spurious = torch.tensor([[0.3, -2.0, 1.0], [-1.0, 0.0, 4.0]], dtype=torch.float64)
    y = torch.tensor([0, 1])
    want = []
    for j in range(2):                        # the complement of graph j combined with every rationale i
        gate = torch.sigmoid(spurious[j])
        want.append(sum(F.cross_entropy((gate * causal[i]).view(1, -1), y[i:i + 1]) for i in range(2)) / 2)
    assert torch.allclose(interventional_risks(causal, spurious, y), torch.stack(want), atol=1e-12)


def _batch():
    torch.manual_seed(0)
    gs = [dgl.graph(([0, 1, 2, 3, 1], [1, 2, 3, 0, 3]), num_nodes=4) for _ in range(6)]
    g = dgl.batch(gs)
    return g, torch.randn(g.num_nodes(), 3), torch.tensor([0, 1, 2, 0, 1, 2])


def test_loss_and_schedule():
    g, x, y = _batch()
    model = CIGAModel(3, 3, hidden=8, num_layers=2, ratio=0.5)
    obj = make_objective("dir", model, alpha=0.01)
    model.eval()                              # no dropout: repeatable passes
    out = model.outputs(g, x, spurious=True, detach_spurious_rep=True)
    base = F.cross_entropy(out.causal_logits, y) + F.cross_entropy(out.spurious_logits, y)
    risks = interventional_risks(out.causal_logits, out.spurious_logits, y)
    for epoch in (0, 3):
        obj.set_epoch(epoch)
        total, logs = obj.loss(g, x, y)
        a = 0.01 * epoch ** 1.6
        want = base + a * risks.mean() + a * torch.var(risks * 6)
        assert total.item() == pytest.approx(want.item(), rel=1e-6) and logs["alpha_t"] == pytest.approx(a)


def test_spurious_head_learns_only_from_its_own_loss():
    g, x, y = _batch()
    model = CIGAModel(3, 3, hidden=8, num_layers=2, ratio=0.5).eval()
    obj = DIR(model, alpha=5.0)
    obj.set_epoch(2)
    total, _ = obj.loss(g, x, y)
    grads = torch.autograd.grad(total, list(model.spurious_head.parameters()))
    out = model.outputs(g, x, spurious=True, detach_spurious_rep=True)
    alone = torch.autograd.grad(F.cross_entropy(out.spurious_logits, y), list(model.spurious_head.parameters()))
    assert all(torch.allclose(a, b, atol=1e-7) for a, b in zip(grads, alone))
    # ... while the interventions do reach the rationale classifier
    g_cls = torch.autograd.grad(obj.loss(g, x, y)[0], model.classifier.head.weight)[0]
    obj.set_epoch(0)
    g_cls0 = torch.autograd.grad(obj.loss(g, x, y)[0], model.classifier.head.weight)[0]
    assert not torch.allclose(g_cls, g_cls0)
    with pytest.raises(TypeError, match="CIGAModel"):
        DIR(torch.nn.Linear(2, 2))
