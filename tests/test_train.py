"""fit(): record structure, selection at the best validation epoch, early stopping, and that
evaluation never sees labels."""
import dgl
import torch

import hma_graph
from hma_graph.data.loader import GraphLoader
from hma_graph.models import GNNClassifier
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
    rec = fit(model, *loaders(), metric="accuracy", epochs=6, progress=False)
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
