"""Diagnostic: one short Table 3 run (GIN, seed 0, paper profile) with apply-options / optimiser overrides.

usage: diag.py TAG VARIANT EPOCHS '{"apply_opt": v, "hma_lr": x, "clip": c,
                                    "dataset": d, "layers": L, "width": W, "out": dir}'

Defaults: dataset ogbg-molbace, 5 layers x 300 (the paper profile), record written as ``TAG.json``
beside this script (``out`` relative to it, e.g. "hiv"). ``hma_lr`` trains the HMA layer's
parameters at that Adam rate through the library's ``fit(hma_lr=)`` (the backbone keeps the
profile's lr); ``clip`` clips the gradient norm of all parameters before each Adam step; every
other key goes to ``hma_graph.apply``. Records are ``benchmarks.table3.run_one`` records plus
``diag_opts``.
"""
import json
import sys
from dataclasses import replace
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3]))  # repository root
import hma_graph  # noqa: E402
import hma_graph.train as tr  # noqa: E402
import benchmarks.table3 as t3  # noqa: E402
from hma_graph.sweep import write_json_atomic  # noqa: E402

tag, variant, epochs, opts = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
hma_lr, clip = opts.pop("hma_lr", None), opts.pop("clip", None)
dataset, out = opts.pop("dataset", "ogbg-molbace"), HERE / opts.pop("out", ".")
profile = t3.PROFILES["paper"]
layers, width = opts.pop("layers", profile.num_layers), opts.pop("width", profile.emb_dim)
if (layers, width) != (profile.num_layers, profile.emb_dim):
    profile = replace(profile, name="diag-small", num_layers=layers, emb_dim=width)

orig_apply = hma_graph.apply
t3.hma_graph.apply = lambda model, *a, **k: orig_apply(model, *a, **{**k, **opts})
if hma_lr is not None:  # a benchmark-only lr variant with this factor on the profile's lr
    t3.LR_VARIANTS["diag"] = (variant, hma_lr / profile.lr)
    variant = "diag"
if clip is not None:
    class ClippedAdam(torch.optim.Adam):
        def step(self, closure=None):
            torch.nn.utils.clip_grad_norm_([p for g in self.param_groups for p in g["params"]], clip)
            return super().step(closure)
    tr.torch.optim.Adam = ClippedAdam  # fit builds torch.optim.Adam(...)

spec = {"dataset": dataset, "epochs": epochs, "model": "gin", "variant": variant, "seed": 0}
rec = t3.run_one(spec, profile, "isolated", t3.load_data(dataset), threads=1)
rec["diag_opts"] = {**opts, "hma_lr": hma_lr, "clip": clip, "layers": layers, "width": width}
write_json_atomic(out / f"{tag}.json", rec)
h = rec["history"]
print(tag, "loss", [round(x, 4) for x in h["train_loss"]], "valid", [round(x, 3) for x in h["valid"]],
      "sel", rec["selected_epoch"], "test", round(rec["test"], 3), "wall", round(rec["wall_s"]), flush=True)
