"""Metrics against hand computations; selection and averaging as pure functions."""
import math

import pytest
import torch

from hma_graph.metrics import compute_metric, select_epoch, summarize


def test_accuracy_and_mcc_by_hand():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1, 0, 0, 1])  # predictions 0,1,1,0,1: TP=2 TN=2 FP=1 FN=0
    assert compute_metric("accuracy", logits, y) == pytest.approx(0.8)
    mcc = (2 * 2 - 1 * 0) / math.sqrt((2 + 1) * (2 + 0) * (2 + 1) * (2 + 0))
    assert compute_metric("mcc", logits, y) == pytest.approx(mcc)


def test_rocauc_by_hand_with_unlabelled_entries():
    # positives score 0.9, 0.4; negatives 0.1, 0.5 -> pairs ranked right: (0.9>0.1),(0.9>0.5),(0.4>0.1) = 3/4
    p = torch.tensor([[0.9], [0.4], [0.1], [0.5], [0.0]])
    y = torch.tensor([[1.0], [1.0], [0.0], [0.0], [float("nan")]])
    assert compute_metric("rocauc", p, y) == pytest.approx(0.75)


def test_metric_errors():
    with pytest.raises(ValueError, match="unknown metric"):
        compute_metric("f1", torch.zeros(2, 2), torch.zeros(2))
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        compute_metric("accuracy", torch.zeros(3, 2), torch.zeros(2))
    with pytest.raises(ValueError, match="0 examples"):
        compute_metric("accuracy", torch.zeros(0, 2), torch.zeros(0))
    with pytest.raises(ValueError, match="multi-class logits"):
        compute_metric("mcc", torch.zeros(3, 1), torch.zeros(3))


def test_select_epoch_takes_the_first_best_and_skips_nan():
    assert select_epoch([0.1, 0.5, 0.5, 0.2]) == 1
    assert select_epoch([float("nan"), 0.3, 0.2]) == 1
    assert select_epoch([3.0, 1.0, 1.0], mode="min") == 1
    with pytest.raises(ValueError):
        select_epoch([])
    with pytest.raises(ValueError, match="NaN"):
        select_epoch([float("nan")])


def test_summarize_uses_sample_std():
    m, s = summarize([1.0, 2.0, 3.0, 4.0])
    assert m == pytest.approx(2.5) and s == pytest.approx(math.sqrt(5 / 3))
    assert summarize([0.7]) == (0.7, 0.0)
    with pytest.raises(ValueError):
        summarize([])


def test_device_metrics_equal_the_reference_implementations():
    """torchmetrics on the tensors' device vs ogb's Evaluator and scikit-learn: random scores with
    ties, NaN labels and a task with a single class; multi-class MCC including degenerate cases."""
    from hma_graph.metrics import device_metric

    g = torch.Generator().manual_seed(0)
    worst = 0.0
    for trial in range(20):
        n, t = 50 + trial, 3
        scores = torch.randint(0, 6, (n, t), generator=g).float() - 2.5   # many ties
        scores[:, 1] = torch.randn(n, generator=g) * 30                   # saturating logits
        y = torch.randint(0, 2, (n, t), generator=g).float()
        y[torch.rand(n, t, generator=g) < 0.2] = float("nan")
        y[:, 2] = torch.where(torch.isnan(y[:, 2]), y[:, 2], torch.ones(n))  # one class only: skipped
        worst = max(worst, abs(device_metric("rocauc", scores, y) - compute_metric("rocauc", scores, y)))
        logits = torch.randn(n, 4, generator=g)
        labels = torch.randint(0, 4, (n,), generator=g)
        for name in ("mcc", "accuracy"):
            worst = max(worst, abs(device_metric(name, logits, labels) - compute_metric(name, logits, labels)))
    constant = torch.zeros(10, 3)
    constant[:, 1] = 1.0                                                    # one predicted class: MCC 0
    labels = torch.arange(10) % 3
    worst = max(worst, abs(device_metric("mcc", constant, labels) - compute_metric("mcc", constant, labels)))
    print("max abs difference:", worst)
    assert worst < 1e-6
    with pytest.raises(ValueError, match="no task has both classes"):
        device_metric("rocauc", torch.randn(4, 1), torch.ones(4, 1))
