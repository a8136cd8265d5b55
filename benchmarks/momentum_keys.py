"""How informative are the memory keys? The momentum copy's embeddings against the online model's.

    python benchmarks/momentum_keys.py                  # ogbg-molbace, GIN 5x300, ~3-5 minutes on 1 core

RMA stores, for every training graph it writes, the pooled embedding of a *momentum copy* of the
backbone, theta_k <- lambda_t theta_k + (1 - lambda_t) theta_q after every optimiser step, and each
query attends over those keys. This script trains GIN+HMA on ogbg-molbace exactly as Table 3 does
(seed 0, batch 32, Adam 1e-3), with the paper's constant lambda = 0.999, and at a few steps compares,
on the same 64 validation graphs, the embeddings of

* ``constant, eval``:   the constant-lambda copy in eval mode (hma_graph before the warm-up default);
* ``warm-up, eval``:    a copy of the same online trajectory with lambda_t = min(0.999, (1+t)/(10+t))
                        (``momentum_warmup=True``, the default now), eval mode;
* ``constant, BN batch``: the constant-lambda copy with batch-norm on batch statistics (the authors'
                        code runs the copy in training mode);
* ``online, eval``:     the online backbone itself (what ``memory_encoder="online"`` stores).

Two numbers per copy: the mean over features of the std across the 64 graphs (a copy whose
features are nearly the same vector for every graph gives attention nothing to match), and the
correlation between its pairwise cosine similarities (features centred, the 64 x 63 off-diagonal
pairs) and the online model's (does it rank neighbours like the model whose queries read it?). Writes
``benchmarks/results/momentum_keys.{json,txt}``.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.func import functional_call
from tqdm import tqdm

from hma_graph._atomic import write_json_atomic, write_text_atomic
from hma_graph.data.loader import GraphLoader
from hma_graph.experiments.datasets import load_data
from hma_graph.experiments.machine import machine
from hma_graph.experiments.registry import resolve
from hma_graph.experiments.report import markdown_table
from hma_graph.experiments.run import build_loaders, build_method, seed_everything
from hma_graph.wrapper import warmup_momentum

RESULTS = Path(__file__).resolve().parent / "results"
SPEC = {"dataset": "ogbg-molbace", "epochs": 100, "model": "gin", "variant": "hma", "seed": 0}


def _state(module):
    s = dict(module.named_parameters())
    s.update(dict(module.named_buffers()))
    return {k: v.detach().clone() for k, v in s.items()}


def similarity_structure_corr(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson correlation of the off-diagonal cosine similarities of centred a (B, d) and b (B, d)."""
    sa, sb = F.normalize(a - a.mean(0), dim=1), F.normalize(b - b.mean(0), dim=1)
    off = ~torch.eye(a.shape[0], dtype=torch.bool)  # the diagonal (all 1) would correlate by itself
    return float(torch.corrcoef(torch.stack([(sa @ sa.T)[off], (sb @ sb.T)[off]]))[0, 1])


def embed(model, probe, state, bn_batch_stats: bool) -> torch.Tensor:
    """Pooled embeddings (64, d) of ``probe`` by ``model.backbone`` under the weights ``state``, in eval
    mode, or with batch-norm on batch statistics; the modules' modes are restored afterwards."""
    bb = model.backbone
    modes = [(m, m.training) for m in bb.modules()]
    bb.eval()
    if bn_batch_stats:
        for m in bb.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.train()
    try:
        with torch.no_grad():
            st = {k: v.clone() for k, v in state.items()}  # batch-stat BN would update them
            call = (lambda: functional_call(bb, st, (probe, probe.ndata["feat"], probe.edata["feat"])))
            return model._run(call, (probe,))
    finally:
        for m, mode in modes:
            m.training = mode


def compare(model, probe, warm, step, steps_per_epoch, rows, out):
    """Appends, for each copy, the feature std and the similarity-structure correlation with the online model."""
    const = {n: getattr(model.momentum, k) for n, k in model._momentum_names.items()}
    online = embed(model, probe, _state(model.backbone), False)
    copies = {"constant, eval": embed(model, probe, const, False), "warm-up, eval": embed(model, probe, warm, False),
              "constant, BN batch": embed(model, probe, const, True), "online, eval": online}
    for name, k in copies.items():
        std, corr = float(k.std(0).mean()), similarity_structure_corr(k, online)
        out.append({"step": step, "copy": name, "feature_std": std, "similarity_corr": corr})
        rows.append([step, f"{step / steps_per_epoch:.1f}", name, f"{std:.3f}", f"{corr:+.3f}"])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="benchmarks/momentum_keys.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, nargs="+", default=[20, 100, 200, 450],
                    help="optimiser steps at which to compare (38 steps = one bace epoch)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", type=Path, default=RESULTS / "momentum_keys")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    cfg = resolve("table3", "paper", SPEC)  # Table 3's paper profile: GIN 5x300 + HMA, batch 32, Adam 1e-3
    graphs, labels, split, num_classes = load_data(cfg)
    seed_everything(cfg["seed"])
    model, _ = build_method(cfg, None, num_classes)
    model.momentum_warmup = False  # the constant-lambda copy drives training (the paper's rule)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["train"]["lr"])
    train = build_loaders(cfg, graphs, labels, split)["train"]  # shuffled with the seed, as Table 3 trains
    g_probe, _ = next(iter(GraphLoader(graphs, labels, 64, indices=split["valid"][:64])))
    warm = _state(model.backbone)  # shadow copy with the warm-up rule, following the same online trajectory
    rows, out = [], []
    step, last = 0, max(args.steps)
    bar = tqdm(total=last, desc="steps")
    while step < last:
        for g, y in train:
            model.train()
            loss = F.binary_cross_entropy_with_logits(model(g, g.ndata["feat"], g.edata["feat"], labels=y), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():  # the warm-up rule on the shadow copy, after the same step
                lam = warmup_momentum(0.999, step)
                for k, v in _state(model.backbone).items():
                    warm[k].lerp_(v, 1 - lam) if warm[k].is_floating_point() else warm[k].copy_(v)
            step += 1
            bar.update(1)
            if step in args.steps:
                compare(model, g_probe, warm, step, len(train), rows, out)
            if step >= last:
                break
    bar.close()
    table = markdown_table(["step", "epoch", "copy", "feature std across graphs",
                            "similarity-structure corr. with online"], rows)
    caption = (f"ogbg-molbace, GIN 5x300 + HMA (Table 3 paper profile), seed 0, training with constant "
               f"lambda 0.999; 64 validation graphs; {torch.get_num_threads()} thread(s), torch {torch.__version__}")
    text = f"{caption}\n\n{table}\n"
    write_json_atomic(args.out.with_suffix(".json"), {"caption": caption, "rows": out, "machine": machine()})
    write_text_atomic(args.out.with_suffix(".txt"), text)
    print("\n" + text)


if __name__ == "__main__":
    main()
