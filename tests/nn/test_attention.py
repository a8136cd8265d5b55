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


def authors_reference(block, x, context, mask=None, include_self=True):
    """The authors' MAB, written from its description, float64, one query at a time:
    H = fc_res(x) + concat_h(softmax(s Q_h K_h^T) V_h)   (no head-mixing projection)
    out = H + W2 GELU(W1 LN(H) + b1) + b2, every LayerNorm with eps 1e-12; masked entries dropped."""
    d, Hn = block.dim, block.num_heads
    dh, eps = d // Hn, 1e-12
    ctx = context if mask is None else context[mask]
    wk, wv, bk, bv = block.kv.weight[:d], block.kv.weight[d:], block.kv.bias[:d], block.kv.bias[d:]
    w1, b1 = block.ff[0].weight, block.ff[0].bias
    w2, b2 = block.ff[3].weight, block.ff[3].bias
    outs = []
    for i in range(x.shape[0]):
        seq = torch.cat([x[i:i + 1], ctx]) if include_self else ctx
        q = (F.layer_norm(x[i], (d,), block.ln_q.weight, block.ln_q.bias, eps) @ block.q.weight.T + block.q.bias)
        kv_in = F.layer_norm(seq, (d,), block.ln_kv.weight, block.ln_kv.bias, eps)
        k, v = kv_in @ wk.T + bk, kv_in @ wv.T + bv
        s = 1 / math.sqrt(dh if block.scale_mode == "head" else d)
        heads = [torch.softmax((k[:, h * dh:(h + 1) * dh] @ q[h * dh:(h + 1) * dh]) * s, 0) @ v[:, h * dh:(h + 1) * dh]
                 for h in range(Hn)]
        hid = x[i] @ block.res.weight.T + block.res.bias + torch.cat(heads)
        ln = F.layer_norm(hid, (d,), block.ln_ff.weight, block.ln_ff.bias, eps)
        outs.append(hid + F.gelu(ln @ w1.T + b1) @ w2.T + b2)
    return torch.stack(outs)


@pytest.mark.parametrize("scale", ["head", "full"])
@pytest.mark.parametrize("include_self", [True, False])
def test_authors_block_matches_its_description(scale, include_self):
    torch.manual_seed(1)
    block = AttentionBlock(12, num_heads=3, dropout=0.3, scale=scale, style="authors").double().eval()
    for p in block.parameters():  # LayerNorm affine terms away from 1/0, so they are exercised
        torch.nn.init.normal_(p, std=0.5)
    x, ctx = torch.randn(5, 12, dtype=torch.float64), torch.randn(7, 12, dtype=torch.float64)
    mask = torch.tensor([True, False, True, True, False, True, True])
    got = block(x, ctx, context_mask=mask, include_self=include_self)
    assert torch.allclose(got, authors_reference(block, x, ctx, mask, include_self), atol=1e-10)
    # eps matters at this precision: the block is not ours with other weights
    assert block.ln_q.eps == 1e-12 and block.o is None and block.res is not None


def test_styles_have_equal_parameter_counts_and_their_dropout_sites():
    ours, authors = AttentionBlock(16, 4, dropout=0.5), AttentionBlock(16, 4, dropout=0.5, style="authors")
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(ours) == count(authors)
    for block, sites in ((ours, 2), (authors, 3)):
        calls = []
        for m in block.modules():
            if type(m).__name__ == "Dropout":
                m.register_forward_hook(lambda *a: calls.append(1))
        block.train()(torch.randn(4, 16), torch.randn(3, 16))
        assert len(calls) == sites
    with pytest.raises(ValueError, match="style must be one of"):
        AttentionBlock(16, 4, style="npt")
