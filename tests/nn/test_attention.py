"""AttentionBlock against a dense reference: the block run on the full sequence [x_i ; C]."""
import math

import pytest
import torch
import torch.nn.functional as F

from hma_graph.nn.attention import AttentionBlock


def dense_reference(block, x, context, include_self=True):
    """Standard pre-LN MAB on the explicit sequence of each query, position 0 kept. float64."""
    d, H = block.dim, block.num_heads
    dh = d // H
    wq, bq = block.q.weight, block.q.bias
    wk, wv = block.kv.weight[:d], block.kv.weight[d:]
    bk, bv = block.kv.bias[:d], block.kv.bias[d:]
    outs = []
    for i in range(x.shape[0]):
        seq = context if not include_self else torch.cat([x[i:i + 1], context])
        xq = F.layer_norm(x[i:i + 1], (d,), block.ln_q.weight, block.ln_q.bias)
        kvin = F.layer_norm(seq, (d,), block.ln_kv.weight, block.ln_kv.bias)
        q = (xq @ wq.T + bq).view(H, dh)
        k = (kvin @ wk.T + bk).view(-1, H, dh)
        v = (kvin @ wv.T + bv).view(-1, H, dh)
        heads = []
        for h in range(H):
            scale = 1 / math.sqrt(dh if block.scale_mode == "head" else d)
            a = torch.softmax((k[:, h] @ q[h]) * scale, dim=0)
            heads.append(a @ v[:, h])
        y = x[i] + block.o(torch.cat(heads))
        y = y + block.ff(F.layer_norm(y, (d,), block.ln_ff.weight, block.ln_ff.bias))
        outs.append(y)
    return torch.stack(outs)


@pytest.mark.parametrize("scale", ["head", "full"])
@pytest.mark.parametrize("include_self", [True, False])
def test_block_matches_dense_reference(scale, include_self):
    torch.manual_seed(0)
    block = AttentionBlock(12, num_heads=3, dropout=0.1, scale=scale).double().eval()
    x, ctx = torch.randn(5, 12, dtype=torch.float64), torch.randn(7, 12, dtype=torch.float64)
    got = block(x, ctx, include_self=include_self)
    torch.testing.assert_close(got, dense_reference(block, x, ctx, include_self), rtol=1e-10, atol=1e-10)


def test_mask_equals_dropping_entries():
    torch.manual_seed(1)
    block = AttentionBlock(8, num_heads=2).double().eval()
    x, ctx = torch.randn(4, 8, dtype=torch.float64), torch.randn(6, 8, dtype=torch.float64)
    mask = torch.tensor([True, False, True, True, False, False])
    torch.testing.assert_close(block(x, ctx, context_mask=mask), block(x, ctx[mask]))
    # a fully masked context leaves self-attention only
    torch.testing.assert_close(block(x, ctx, context_mask=torch.zeros(6, dtype=torch.bool)), block(x))


def test_scales_differ_and_attention_weights_sum_to_one():
    torch.manual_seed(2)
    a = AttentionBlock(16, 4, scale="head").eval()
    b = AttentionBlock(16, 4, scale="full").eval()
    b.load_state_dict(a.state_dict())
    x, ctx = torch.randn(3, 16), torch.randn(5, 16)
    ya, wa = a(x, ctx, return_attention=True)
    assert wa.shape == (3, 4, 6)
    torch.testing.assert_close(wa.sum(-1), torch.ones(3, 4))
    assert not torch.allclose(ya, b(x, ctx))


def test_bad_configuration():
    with pytest.raises(ValueError, match="divisible"):
        AttentionBlock(10, num_heads=4)
    with pytest.raises(ValueError, match="scale"):
        AttentionBlock(8, 2, scale="sqrt")
    with pytest.raises(ValueError, match="non-empty context"):
        AttentionBlock(8, 2)(torch.randn(2, 8), None, include_self=False)
