"""The torch-only parts on every available device (tests/conftest.py ``device``): the HMA layer,
its attention block, the queue and the metrics give the CPU's results, and training writes stay
on the device."""
import torch

from hma_graph.metrics import compute_metric, device_metric
from hma_graph.nn.attention import AttentionBlock
from hma_graph.nn.hma import HMA


def test_attention_block_matches_the_cpu(device):
    torch.manual_seed(0)
    block = AttentionBlock(16, 4, dropout=0.0).eval()
    x, ctx = torch.randn(5, 16), torch.randn(7, 16)
    mask = torch.tensor([True, True, False, True, True, False, True])
    ref = block(x, ctx, context_mask=mask)
    got = block.to(device)(x.to(device), ctx.to(device), context_mask=mask.to(device))
    assert got.device.type == device.type and torch.allclose(got.cpu(), ref, atol=1e-5)


def test_hma_trains_and_writes_on_the_device(device):
    torch.manual_seed(0)
    layer = HMA(8, 3, memory_size=6, slots_per_class=2, dropout=0.0, lr_scale=1.0)
    h, y = torch.randn(4, 8), torch.tensor([0, 1, 2, 1])
    ref_layer = HMA(8, 3, memory_size=6, slots_per_class=2, dropout=0.0, lr_scale=1.0)
    ref_layer.load_state_dict(layer.state_dict())
    ref = ref_layer.train()(h, labels=y)
    layer = layer.to(device).train()
    out = layer(h.to(device), labels=y.to(device))
    out.sum().backward()
    assert torch.allclose(out.detach().cpu(), ref.detach(), atol=1e-5)
    assert layer.queue.feats.device.type == device.type and int(layer.queue.count) == 4
    assert layer.slots.grad is not None and layer.slots.grad.device.type == device.type
    layer.eval()
    before = layer.queue.feats.clone()
    layer(h.to(device))
    assert torch.equal(layer.queue.feats, before)        # evaluation writes nothing


def test_metrics_on_the_device(device):
    g = torch.Generator().manual_seed(0)
    logits, y = torch.randn(40, 3, generator=g), torch.randint(0, 3, (40,), generator=g)
    scores, yb = torch.randn(40, 1, generator=g), torch.randint(0, 2, (40, 1), generator=g).float()
    for name, a, b in (("accuracy", logits, y), ("mcc", logits, y), ("rocauc", scores, yb)):
        assert abs(compute_metric(name, a.to(device), b.to(device)) - compute_metric(name, a, b)) < 1e-6
        assert abs(device_metric(name, a.to(device), b.to(device)) - compute_metric(name, a, b)) < 1e-6
