"""fit(lr_step=(every, gamma)): G-Mixup's StepLR, stepped after each epoch's evaluation, every
parameter group, saved in and restored from a checkpoint."""
import pytest
import torch

import hma_graph
from hma_graph import checkpoint as checkpoint_file
from hma_graph.data.loader import GraphLoader
from hma_graph.models import GNNClassifier
from hma_graph.train import fit

from test_train import _DyingLoader, _Interrupted, loaders, toy


def run(train, lr_step=(2, 0.5), checkpoint=None, epochs=5):
    torch.manual_seed(0)
    model = GNNClassifier(2, 2, hidden=8, head_layers=2)
    _, valid, test = loaders()
    return model, fit(model, train, valid, test, metric="accuracy", epochs=epochs, lr=0.01, progress=False,
                      lr_step=lr_step, checkpoint=checkpoint, checkpoint_every_s=0)


def test_lr_is_halved_every_two_epochs():
    gs, y = toy()
    model, rec = run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0))
    assert rec["history"]["lr"] == pytest.approx([0.01, 0.01, 0.005, 0.005, 0.0025])
    _, plain = run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0), lr_step=None)
    assert "lr" not in plain["history"]                       # no schedule: the record is as before
    assert plain["history"]["train_loss"][:2] == rec["history"]["train_loss"][:2]   # same until the first step
    assert plain["history"]["train_loss"][2] != rec["history"]["train_loss"][2]


def test_every_parameter_group_follows_the_schedule():
    gs, y = toy()
    torch.manual_seed(0)
    model = hma_graph.apply(GNNClassifier(2, 2, hidden=8, head_layers=2), memory_size=16, slots_per_class=2)
    made = []
    factory = lambda groups: made.append(torch.optim.Adam(groups)) or made[-1]  # noqa: E731
    _, valid, test = loaders()
    rec = fit(model, GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0), valid, test, metric="accuracy",
              epochs=3, lr=0.01, hma_lr=0.001, progress=False, lr_step=(2, 0.5), optimizer=factory)
    assert rec["history"]["lr"] == pytest.approx([0.01, 0.01, 0.005])
    assert sorted(g["lr"] for g in made[0].param_groups) == pytest.approx([0.0005, 0.005])  # 3 steps: x 0.5
    with pytest.raises(ValueError, match="lr_step"):
        run(GraphLoader(gs[:40], y[:40], 8), lr_step=(0, 0.5))


def test_resumed_schedule_is_the_uninterrupted_one(tmp_path):
    gs, y = toy()
    _, ref = run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0))
    ckpt = tmp_path / "run.pt"
    with pytest.raises(_Interrupted):
        run(_DyingLoader(gs[:40], y[:40], 8, shuffle=True, seed=0, die_at=3), checkpoint=ckpt)
    assert checkpoint_file.load(ckpt)["scheduler"]["last_epoch"] == 3
    _, rec = run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0), checkpoint=ckpt)
    assert rec["resumed_at"] == [3] and rec["history"]["lr"] == ref["history"]["lr"]
    assert rec["history"]["train_loss"] == ref["history"]["train_loss"]
