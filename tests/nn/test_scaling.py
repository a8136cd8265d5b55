"""lr_scale: w = s * theta gives HMA an Adam step s times smaller inside one plain Adam."""
import copy

import pytest
import torch

from hma_graph.nn.hma import HMA
from hma_graph.nn.scaling import scale_learning_rate


def _effective(model):
    """Effective tensors by name (parametrised ones read through the parametrisation)."""
    out = {}
    for mname, m in model.named_modules():
        for pname in [n for n, _ in m.named_parameters(recurse=False)] + list(getattr(m, "parametrizations", {})):
            if pname == "original" or "parametrizations" in mname:
                continue
            out[f"{mname}.{pname}"] = getattr(m, pname).detach().clone()
    return out


def test_values_unchanged_and_one_adam_step_is_s_times_smaller():
    torch.manual_seed(0)
    h, y = torch.randn(6, 12, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
    plain = HMA(12, 3, memory_size=8, slots_per_class=2, dropout=0.0, lr_scale=1.0).double()
    scaled = HMA(12, 3, memory_size=8, slots_per_class=2, dropout=0.0, lr_scale=0.1).double()
    # copy the plain model's values into the scaled one through the parametrisation (w -> theta = w / s)
    with torch.no_grad():
        for name, w in _effective(plain).items():
            mod, attr = name.rsplit(".", 1)
            setattr(scaled.get_submodule(mod) if mod else scaled, attr, w.clone())
    before = _effective(scaled)
    assert before.keys() == _effective(plain).keys() and len(before) > 10
    for k in before:
        torch.testing.assert_close(before[k], _effective(plain)[k], rtol=1e-12, atol=1e-14)
    plain.eval(), scaled.eval()
    torch.testing.assert_close(plain(h), scaled(h), rtol=1e-12, atol=1e-12)     # same function
    plain.train(), scaled.train()
    # Adam's first step by hand: w moves by -lr * g / (|g| + eps) for the plain layer, and
    # -s * lr * (s g) / (s |g| + eps) for the scaled one, g = dL/dw (the same function in both)
    lr, eps, s_ = 1e-2, 1e-8, 0.1
    grads = {}
    for model in (plain, scaled):
        opt = torch.optim.Adam(model.parameters(), lr=lr, eps=eps)
        start = _effective(model)
        torch.nn.functional.cross_entropy(model(h, labels=y), y).backward()
        opt.step()
        if model is plain:
            grads = {name: getattr(plain.get_submodule(name.rsplit(".", 1)[0]) if name.rsplit(".", 1)[0] else plain,
                                   name.rsplit(".", 1)[1]).grad for name in start}
        step = {k: v - start[k] for k, v in _effective(model).items()}
        for k, g in grads.items():
            want = -lr * g / (g.abs() + eps) if model is plain else -s_ * lr * (s_ * g) / (s_ * g.abs() + eps)
            torch.testing.assert_close(step[k], want, rtol=1e-6, atol=1e-12)
    assert max(g.abs().max().item() for g in grads.values()) > 1e-3   # the gradients are not all zero


def test_state_dict_roundtrip_and_bad_values():
    m = HMA(8, 2, memory_size=4, slots_per_class=2, lr_scale=0.5)
    n = HMA(8, 2, memory_size=4, slots_per_class=2, lr_scale=0.5)
    n.load_state_dict(m.state_dict())
    torch.testing.assert_close(n.slots, m.slots)
    for bad in (0, -1.0, float("nan"), float("inf"), True, "0.1"):
        with pytest.raises(ValueError, match="lr_scale"):
            HMA(8, 2, lr_scale=bad)
    lin = torch.nn.Linear(2, 2)
    assert scale_learning_rate(copy.deepcopy(lin), 1.0).weight is not None


def test_default_scale_is_0_1_and_every_stored_parameter_learns():
    """The library default: every HMA parameter is parametrised with s = DEFAULT_LR_SCALE = 0.1
    (what a user's plain Adam after hma_graph.apply gets), and one training step gives every stored
    tensor theta a non-zero gradient, in every variant but "param" (the parameter-count control)."""
    from hma_graph.nn.hma import VARIANTS
    from hma_graph.nn.scaling import DEFAULT_LR_SCALE

    assert DEFAULT_LR_SCALE == 0.1
    for variant in VARIANTS:
        torch.manual_seed(0)
        m = HMA(8, 3, variant, memory_size=6, slots_per_class=2, dropout=0.0).train()
        assert m.lr_scale == 0.1
        names = [n for n, _ in m.named_parameters()]
        assert names and all(n.endswith(".original") for n in names), names
        scales = {p.scale for mod in m.modules() for p in getattr(mod, "parametrizations", {}).values()
                  for p in p}
        assert scales == {0.1}
        h, y = torch.randn(6, 8), torch.tensor([0, 1, 2, 0, 1, 2])
        for _ in range(2):  # the second step reads what the first wrote
            m.zero_grad()
            torch.nn.functional.cross_entropy(m(h, labels=y), y).backward()
        if variant == "param":  # the parameter-count control: parts are registered but never read
            continue
        silent = [n for n, p in m.named_parameters() if p.grad is None or p.grad.abs().sum() == 0]
        assert not silent, f"{variant}: no gradient for {silent}"
