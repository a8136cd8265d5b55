"""Diagnostic: does HMA learn on ogbg-molhiv (3.5% positives) at a small scale, and which part stops it?

A small OGB GIN (3 layers x 64 unless ``layers`` / ``width`` say otherwise; dropout 0.5, batch 32, Adam 1e-3) on the full hiv training split
(32,896 graphs), seed 0, a few epochs; HMA settings as Table 3's paper profile (d_l 16, m1 96,
m2 32/class) unless overridden. Records are ``benchmarks.table3.run_one`` records.

usage: diag_hiv.py TAG VARIANT EPOCHS '{"apply_opt": v, "hma_lr": x, "layers": L, "width": W}'
"""
import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[5]))  # repository root
import hma_graph  # noqa: E402
import benchmarks.table3 as t3  # noqa: E402

tag, variant, epochs, opts = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
hma_lr = opts.pop("hma_lr", None)
layers, width = opts.pop("layers", 3), opts.pop("width", 64)
orig_apply = hma_graph.apply
t3.hma_graph.apply = lambda model, *a, **k: orig_apply(model, *a, **{**k, **opts})
if hma_lr is not None:  # a benchmark-only lr variant with this factor
    t3.LR_VARIANTS["diag"] = (variant, hma_lr / 1e-3)
    variant = "diag"
profile = replace(t3.PROFILES["paper"], name="diag-small", num_layers=layers, emb_dim=width)
spec = {"dataset": "ogbg-molhiv", "epochs": epochs, "model": "gin", "variant": variant, "seed": 0}
rec = t3.run_one(spec, profile, "isolated", t3.load_data("ogbg-molhiv"), threads=1)
rec["diag_opts"] = {**opts, "hma_lr": hma_lr, "layers": layers, "width": width}
json.dump(rec, open(Path(__file__).resolve().parent / f"{tag}.json", "w"))
h = rec["history"]
print(tag, "loss", [round(x, 4) for x in h["train_loss"]], "valid", [round(x, 3) for x in h["valid"]],
      "sel", rec["selected_epoch"], "test", round(rec["test"], 3), "wall", round(rec["wall_s"]), flush=True)
