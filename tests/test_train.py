"""fit(): record structure, selection at the best validation epoch, early stopping, that
evaluation never sees labels, and the objective path (training loss, logs, prediction)."""
import dgl
import pytest
import torch

import hma_graph
from hma_graph import checkpoint as checkpoint_file
from hma_graph.data.loader import GraphLoader
from hma_graph.models import GNNClassifier
from hma_graph.objectives import ERM, make_objective
from hma_graph.train import fit, predict


def toy(n=60, seed=0):
    """Label = whether the graph is a triangle-rich clique (class 1) or a path (class 0)."""
    g = torch.Generator().manual_seed(seed)
    gs, ys = [], []
    for i in range(n):
        k = int(torch.randint(4, 8, (), generator=g))
        if i % 2:
            src, dst = zip(*[(a, b) for a in range(k) for b in range(k) if a != b])
        else:
            src, dst = list(range(k - 1)) + list(range(1, k)), list(range(1, k)) + list(range(k - 1))
        gr = dgl.graph((torch.tensor(src), torch.tensor(dst)), num_nodes=k)
        gr.ndata["feat"] = torch.ones(k, 2)
        gs.append(gr)
        ys.append(i % 2)
    return gs, torch.tensor(ys)


def loaders():
    gs, y = toy()
    return (GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0), GraphLoader(gs[40:50], y[40:50], 8),
            GraphLoader(gs[50:], y[50:], 8))


def test_fit_record_and_selection():
    torch.manual_seed(0)
    model = hma_graph.apply(GNNClassifier(2, 2, hidden=16, readout="sum"), memory_size=16, slots_per_class=2)
    rec = fit(model, *loaders(), metric="accuracy", epochs=6, lr=1e-2, progress=False)
    h = rec["history"]
    assert len(h["valid"]) == len(h["test"]) == len(h["train_loss"]) == rec["epochs_run"] == 6
    best = max(range(6), key=lambda i: (h["valid"][i], -i))
    assert rec["selected_epoch"] == best and rec["test"] == h["test"][best]
    assert rec["test"] > 0.5  # the toy task is easy


def test_early_stopping_after_warmup():
    torch.manual_seed(0)
    model = GNNClassifier(2, 2, hidden=8)
    train, valid, test = loaders()
    rec = fit(model, train, valid, test, metric="accuracy", epochs=50, warmup=3, patience=2,
              lr=0.0, progress=False)  # lr 0: validation never improves after epoch 0
    assert rec["epochs_run"] == 3 and rec["selected_epoch"] == 0


def test_predictions_do_not_depend_on_labels():
    torch.manual_seed(0)
    model = hma_graph.apply(GNNClassifier(2, 2, hidden=8), memory_size=8, slots_per_class=2)
    gs, y = toy(20)
    fit(model, GraphLoader(gs, y, 5), GraphLoader(gs, y, 5), GraphLoader(gs, y, 5), metric="accuracy",
        epochs=1, progress=False)
    a, _ = predict(model, GraphLoader(gs, y, 5))
    b, _ = predict(model, GraphLoader(gs, 1 - y, 5))
    torch.testing.assert_close(a, b, rtol=0, atol=0)


# --------------------------------------------------------------------------- objective path
def test_erm_objective_matches_the_default_loss_path():
    """ERM through ``objective=`` is the same optimisation as ``loss="ce"``: identical histories."""
    hist = []
    for use_objective in (False, True):
        torch.manual_seed(0)
        model = GNNClassifier(2, 2, hidden=8)
        obj = make_objective("erm", model) if use_objective else None
        rec = fit(model, *loaders(), metric="accuracy", epochs=3, objective=obj, progress=False)
        hist.append(rec["history"])
    torch.testing.assert_close(torch.tensor(hist[0]["train_loss"]), torch.tensor(hist[1]["train_loss"]))
    assert hist[0]["valid"] == hist[1]["valid"] and hist[0]["test"] == hist[1]["test"]
    assert hist[0]["train_logs"] == {} and set(hist[1]["train_logs"]) == {"loss", "erm"}


class _BatchSizeLogger(ERM):
    """ERM that logs each batch's size: its epoch mean must be weighted by graphs."""

    def loss(self, g, x, y, envs=None):
        total, logs = super().loss(g, x, y, envs)
        logs["batch_size"] = float(y.shape[0])
        return total, logs


def test_objective_logs_are_graph_weighted_epoch_means():
    gs, y = toy(40)
    train = GraphLoader(gs, y, 16, shuffle=True, seed=0)  # batches of 16, 16, 8
    torch.manual_seed(0)
    model = GNNClassifier(2, 2, hidden=8)
    rec = fit(model, train, GraphLoader(gs, y, 8), GraphLoader(gs, y, 8), metric="accuracy", epochs=2,
              objective=_BatchSizeLogger(model), progress=False)
    logs = rec["history"]["train_logs"]
    assert logs["batch_size"] == [pytest.approx((16 * 16 + 16 * 16 + 8 * 8) / 40)] * 2  # 14.4, not 13.33
    # the epoch's training loss is the same weighted mean of the objective's total loss
    assert logs["loss"] == pytest.approx(rec["history"]["train_loss"])
    assert len(rec["history"]["eval_s"]) == len(rec["history"]["epoch_s"]) == rec["epochs_run"]


class _AlwaysClassZero(ERM):
    def predict(self, g, x):
        logits = self.model(g, x)
        return torch.stack([torch.ones(len(logits)), torch.zeros(len(logits))], 1)


def test_evaluation_uses_the_objectives_predict():
    train, valid, test = loaders()
    torch.manual_seed(0)
    model = GNNClassifier(2, 2, hidden=8)
    rec = fit(model, train, valid, test, metric="accuracy", epochs=2, objective=_AlwaysClassZero(model),
              progress=False)
    share_zero = float((valid.labels[valid.indices] == 0).float().mean())
    assert rec["history"]["valid"] == [pytest.approx(share_zero)] * 2


def test_objective_must_wrap_the_trained_model():
    other = GNNClassifier(2, 2, hidden=8)
    with pytest.raises(ValueError, match="different model"):
        fit(GNNClassifier(2, 2, hidden=8), *loaders(), metric="accuracy", epochs=1,
            objective=make_objective("irm", other), progress=False)


def test_objective_by_name_and_penalty_logs():
    torch.manual_seed(0)
    model = GNNClassifier(2, 2, hidden=8)
    rec = fit(model, *loaders(), metric="accuracy", epochs=2, objective="vrex", progress=False)
    logs = rec["history"]["train_logs"]
    assert set(logs) == {"loss", "erm", "vrex"} and all(len(v) == 2 for v in logs.values())
    assert all(v >= 0 for v in logs["vrex"])


def test_patience_counted_only_after_warmup():
    """count_warmup=False (CIGA's rule): with no improvement after epoch 0, the run lasts exactly
    warmup + patience epochs; the default stops at the end of the warm-up."""
    for count_warmup, expected in ((True, 3), (False, 5)):
        torch.manual_seed(0)
        rec = fit(GNNClassifier(2, 2, hidden=8), *loaders(), metric="accuracy", epochs=50, warmup=3,
                  patience=2, lr=0.0, count_warmup=count_warmup, progress=False)
        assert rec["epochs_run"] == expected and rec["selected_epoch"] == 0


def test_hma_lr_sets_the_hma_layers_step_size():
    # Adam's first step moves every parameter by about lr (|update| = lr for a non-zero gradient):
    # with hma_lr = lr / 100 the HMA layer moves ~100x less than the backbone in the same fit
    def max_step(hma_lr):
        torch.manual_seed(0)
        model = hma_graph.apply(GNNClassifier(2, 2, hidden=16, readout="sum"), memory_size=16,
                                slots_per_class=2)
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        _, valid, test = loaders()
        gs, y = toy()
        train = GraphLoader(gs[:8], y[:8], 8)  # one batch: one Adam step
        fit(model, train, valid, test, metric="accuracy", epochs=1, lr=1e-2, hma_lr=hma_lr, progress=False)
        moved = {n: float((p.detach() - before[n]).abs().max()) for n, p in model.named_parameters()}
        hma = max(v for n, v in moved.items() if n.startswith("hma."))
        rest = max(v for n, v in moved.items() if not n.startswith("hma."))
        return hma, rest

    hma_same, rest_same = max_step(None)
    hma_slow, rest_slow = max_step(1e-4)
    assert hma_same == pytest.approx(1e-2, rel=0.05) and rest_same == pytest.approx(1e-2, rel=0.05)
    assert hma_slow == pytest.approx(1e-4, rel=0.05) and rest_slow == pytest.approx(1e-2, rel=0.05)


def test_hma_lr_needs_an_hma_model():
    with pytest.raises(ValueError, match="hma_graph.apply"):
        fit(GNNClassifier(2, 2, hidden=8), *loaders(), metric="accuracy", epochs=1, hma_lr=1e-4,
            progress=False)


class _Interrupted(Exception):
    pass


class _DyingLoader(GraphLoader):
    """A training loader whose process "dies" when epoch ``die_at`` (0-based) starts."""

    def __init__(self, *args, die_at, **kwargs):
        super().__init__(*args, **kwargs)
        self.die_at, self.epochs_started = die_at, 0

    def __iter__(self):
        if self.epochs_started == self.die_at:
            raise _Interrupted
        self.epochs_started += 1
        return super().__iter__()


def _hma_run(train, checkpoint=None):
    torch.manual_seed(0)
    model = hma_graph.apply(GNNClassifier(2, 2, hidden=16, readout="sum", dropout=0.3), memory_size=16,
                            slots_per_class=2, dropout=0.2)
    _, valid, test = loaders()
    rec = fit(model, train, valid, test, metric="accuracy", epochs=5, lr=1e-2, progress=False,
              checkpoint=checkpoint, checkpoint_every_s=0)
    return model, rec


def test_resumed_run_is_bit_identical_to_an_uninterrupted_one(tmp_path):
    """An HMA run (dropout, shuffling, memory queue, momentum copy) killed after 3 of 5 epochs and
    resumed on a freshly built model ends with the same weights, buffers and record."""
    gs, y = toy()
    ref_model, ref = _hma_run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0))
    ckpt = tmp_path / "run.pt"
    with pytest.raises(_Interrupted):
        _hma_run(_DyingLoader(gs[:40], y[:40], 8, shuffle=True, seed=0, die_at=3), ckpt)
    assert ckpt.exists()
    state = checkpoint_file.load(ckpt)  # verified, then torch.load(weights_only=True)
    assert state["epochs_done"] == 3 and len(state["history"]["valid"]) == 3
    model, rec = _hma_run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0), ckpt)
    assert not ckpt.exists()  # deleted once the run is complete
    assert rec["resumed_at"] == [3]
    for key in ("train_loss", "valid", "test"):
        assert rec["history"][key] == ref["history"][key]
    assert (rec["selected_epoch"], rec["test"]) == (ref["selected_epoch"], ref["test"])
    ref_state, state = ref_model.state_dict(), model.state_dict()
    assert ref_state.keys() == state.keys()
    for k in ref_state:
        assert torch.equal(ref_state[k], state[k]), k
    assert int(model.hma.queue.count) > 0  # the memory really was written (and restored)


def test_a_fresh_run_without_resume_state_differs(tmp_path):
    """Control for the test above: restarting from scratch after the kill (no checkpoint) is not
    the same as resuming, so the comparison there can fail."""
    gs, y = toy()
    _, ref = _hma_run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0))
    loader = GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0)
    for _ in range(3):  # the shuffling generator has moved on, as it would have in the killed process
        next(iter(loader))
    _, rec = _hma_run(loader)
    assert rec["history"]["train_loss"] != ref["history"]["train_loss"]


def test_checkpoint_of_another_run_is_refused(tmp_path):
    gs, y = toy()
    ckpt = tmp_path / "run.pt"
    with pytest.raises(_Interrupted):
        _hma_run(_DyingLoader(gs[:40], y[:40], 8, shuffle=True, seed=0, die_at=2), ckpt)
    _, valid, test = loaders()
    torch.manual_seed(0)
    with pytest.raises(ValueError, match="different run.*lr"):
        fit(hma_graph.apply(GNNClassifier(2, 2, hidden=16, readout="sum", dropout=0.3), memory_size=16,
                            slots_per_class=2, dropout=0.2),
            GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0), valid, test, metric="accuracy",
            epochs=5, lr=1e-3, progress=False, checkpoint=ckpt)
    ckpt.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="corrupt or not a checkpoint"):
        _hma_run(GraphLoader(gs[:40], y[:40], 8, shuffle=True, seed=0), ckpt)


def test_non_finite_inputs_stop_before_the_step_and_name_the_graph():
    import dgl as _dgl

    from hma_graph.data.loader import GraphLoader
    from hma_graph.models import GNNClassifier
    from hma_graph.train import fit

    torch.manual_seed(0)
    graphs = [_dgl.graph(([0, 1], [1, 2]), num_nodes=3) for _ in range(8)]
    for i, g in enumerate(graphs):
        g.ndata["feat"] = torch.randn(3, 4)
    graphs[5].ndata["feat"][1, 2] = float("nan")
    labels = torch.tensor([0, 1] * 4)
    model = GNNClassifier(4, 2, hidden=8, num_layers=2)
    loader = GraphLoader(graphs, labels, 4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    match = (r"epoch 0, batch 1: input 1 \(12, 4\) has 1 row\(s\) with "
             r"NaN/inf in graph\(s\) \[1\] of the batch \(data set indices \[5\]\)")
    with pytest.raises(FloatingPointError, match=match):
        fit(model, loader, loader, loader, metric="accuracy", epochs=2, progress=False)
    after = model.state_dict()
    assert all(torch.isfinite(v).all() for v in after.values() if v.is_floating_point())
    # batch 0 trained; batch 1 was refused before its forward: batch-norm statistics saw no NaN
    assert not torch.equal(after["norms.0.running_mean"], before["norms.0.running_mean"])
    # a loss that is not finite although the inputs are (a diverged model) is stopped too
    from hma_graph.guards import non_finite_message
    assert "the model diverged" in non_finite_message(float("nan"), 3, (torch.ones(2),), torch.zeros(2))


def test_non_finite_predictions_stop_the_run_naming_the_split():
    torch.manual_seed(0)
    graphs = [dgl.graph(([0, 1], [1, 2]), num_nodes=3) for _ in range(8)]
    for g in graphs:
        g.ndata["feat"] = torch.randn(3, 4)
    bad = [dgl.graph(([0, 1], [1, 2]), num_nodes=3) for _ in range(4)]
    for g in bad:
        g.ndata["feat"] = torch.randn(3, 4)
    bad[2].ndata["feat"][0, 0] = float("inf")
    y = torch.tensor([0, 1] * 4)
    model = GNNClassifier(4, 2, hidden=8, num_layers=2)
    with pytest.raises(FloatingPointError, match="epoch 0, valid: 1 of 4 predictions are NaN/inf"):
        fit(model, GraphLoader(graphs, y, 4), GraphLoader(bad, y[:4], 4), GraphLoader(graphs, y, 4),
            metric="accuracy", epochs=1, progress=False)
