"""Diagnostic: bace GIN seed 0, paper profile, fewer epochs, apply-options / optimiser overrides.
usage: diag.py TAG VARIANT EPOCHS '{"apply_opt": v, "hma_lr": x, "clip": c}'"""
import sys, json, torch
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[4]))  # repository root
import benchmarks.table3 as t3, hma_graph, hma_graph.train as tr
tag, variant, epochs, opts = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
hma_lr = opts.pop("hma_lr", None); clip = opts.pop("clip", None)
orig_apply = hma_graph.apply
t3.hma_graph.apply = lambda model, *a, **k: orig_apply(model, *a, **{**k, **opts})
HMA_IDS = set()
orig_build = t3.build_model
def build(*a, **k):
    m = orig_build(*a, **k)
    if hasattr(m, "hma"):
        HMA_IDS.update(id(p) for p in m.hma.parameters())
    return m
t3.build_model = build
class Adam(torch.optim.Adam):
    def __init__(self, params, lr, **kw):
        params = list(params)
        if hma_lr is not None:
            params = [{"params": [p for p in params if id(p) not in HMA_IDS]},
                      {"params": [p for p in params if id(p) in HMA_IDS], "lr": hma_lr}]
        super().__init__(params, lr=lr, **kw)
        self._all = [p for g in self.param_groups for p in g["params"]]
    def step(self, closure=None):
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(self._all, clip)
        return super().step(closure)
tr.torch.optim.Adam = Adam  # fit builds torch.optim.Adam(...)
spec = {"dataset": "ogbg-molbace", "epochs": epochs, "model": "gin", "variant": variant, "seed": 0}
rec = t3.run_one(spec, t3.PROFILES["paper"], "isolated", t3.load_data("ogbg-molbace"), threads=1)
rec["diag_opts"] = {**opts, "hma_lr": hma_lr, "clip": clip}
json.dump(rec, open(Path(__file__).resolve().parent / f"{tag}.json", "w"))
h = rec["history"]
print(tag, "loss", [round(x, 3) for x in h["train_loss"]], "valid", round(max(h["valid"]), 3), "sel", rec["selected_epoch"], "test", round(rec["test"], 3))
