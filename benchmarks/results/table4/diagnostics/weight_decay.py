"""Is Adam's weight decay why HMA at lr_scale 0.1 trails lr_scale 1 on IMDB-BINARY (Table 4, reduced)?

    HMA_GRAPH_MIRROR=... python benchmarks/results/table4/diagnostics/weight_decay.py

Under the default lr_scale s = 0.1 the HMA layer's weights are w = s * theta, and the optimiser's
coupled L2 term (weight decay 5e-4 on theta) is, relative to the loss gradient, 1/s^2 = 100 times
stronger than on w at lr_scale 1. These runs are the Table 4 "reduced" HMA run (seeds 1314 ...
71314) with the HMA layer's weight decay set to 5e-4 * s^2 = 5e-6 (its own Adam parameter group at
the same lr 0.01), which puts back the penalty on w of lr_scale 1 and keeps the 0.1 step. One JSON
per seed in this folder (seed, best validation accuracy, test accuracy there, selected epoch, wall
seconds); validation is the quantity compared (README.md). 1 torch thread.
"""
import os
from pathlib import Path

import torch

from hma_graph._atomic import write_json_atomic
from hma_graph.experiments.registry import resolve
from hma_graph.experiments.run import run_spec
from hma_graph.experiments.table4_spec import SEEDS

OUT = Path(__file__).resolve().parent

if __name__ == "__main__":
    torch.set_num_threads(1)
    for seed in SEEDS:
        path = OUT / f"imdb-b_hma_wd-scaled_{seed}.json"
        if path.exists():
            continue
        # hma_lr = lr only to get two parameter groups (backbone, HMA layer) from fit
        cfg = resolve("table4", "reduced", {"dataset": "IMDB-BINARY", "method": "hma", "seed": seed},
                      overrides={"train": {"hma_lr": 0.01}})
        wd, s, lr = cfg["train"]["weight_decay"], cfg["hma"]["lr_scale"], cfg["train"]["lr"]

        def adam(groups, wd=wd, s=s, lr=lr):
            backbone, hma = groups
            return torch.optim.Adam([{**backbone, "weight_decay": wd}, {**hma, "weight_decay": wd * s * s}], lr=lr)

        rec = run_spec(cfg, optimizer=adam)
        write_json_atomic(path, {"seed": seed, "valid": rec["valid"], "test": rec["test"],
                                 "selected_epoch": rec["selected_epoch"], "wall_s": rec["wall_s"],
                                 "hma_weight_decay": wd * s * s, "config": cfg})
        print(seed, rec["valid"], rec["test"], rec["selected_epoch"], round(rec["wall_s"]), flush=True)
