"""Manifold Mixup: the loss by hand for a fixed draw; soft labels in the one loss function."""
import torch
import torch.nn.functional as F

from hma_graph.losses import loss
from hma_graph.objectives import ManifoldMixup


class Pooled(torch.nn.Module):
    """embed returns fixed pooled features; a linear head."""

    def __init__(self, h):
        super().__init__()
        self.h = h
        self.head = torch.nn.Linear(h.shape[1], 3)

    def embed(self, g, x):
        return self.h

    def forward(self, g, x):
        return self.head(self.h)


def test_loss_by_hand_for_a_fixed_draw():
    torch.manual_seed(0)
    h = torch.randn(4, 5)
    model = Pooled(h)
    y = torch.tensor([0, 1, 2, 1])
    torch.manual_seed(1)
    total, logs = ManifoldMixup(model, alpha=0.4).loss(None, None, y)
    torch.manual_seed(1)                                             # the same draw, by hand
    lam = float(torch.distributions.Beta(0.4, 0.4).sample())
    perm = torch.randperm(4)
    mixed = lam * h + (1 - lam) * h[perm]
    target = lam * F.one_hot(y, 3).float() + (1 - lam) * F.one_hot(y[perm], 3).float()
    want = -(target * torch.log_softmax(model.head(mixed), 1)).sum(1).mean()
    assert torch.allclose(total, want) and abs(logs["lam"] - lam) < 1e-12


def test_soft_labels_in_the_loss():
    logits = torch.randn(3, 4)
    hard = torch.tensor([1, 0, 3])
    assert torch.allclose(loss(logits, F.one_hot(hard, 4).float()), loss(logits, hard))
