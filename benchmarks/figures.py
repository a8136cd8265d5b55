"""Figures of a trained HMA model: its synthetic slots in t-SNE, and what test graphs attend to.

    python benchmarks/figures.py                         # Spurious-Motif, the main job's setting, seed 0
    python benchmarks/figures.py --epochs 20 --out /tmp/figs

Trains GIN + HMA with the registry's "demo" profile (the main job's Spurious-Motif b = 0.9, 800/400/400
graphs, 60 epochs; hma_graph/experiments/ood_spec.py) through run_spec, keeps the weights of the
selected epoch, and draws two PNGs into benchmarks/results/figures/ (or --out):

* slots_tsne.png: t-SNE (scikit-learn, perplexity 30, seed 0) of the synthetic slots' feature parts
  u_{c,s} together with the pooled embeddings of test graphs, coloured by class (slots as large
  markers), as the paper's figure of the slots;
* attention.png: for test graphs of each class (isolated inference), the attention weight their
  first block puts on memory entries of each class and on themselves, and that the second block
  puts on the slots of each class and on themselves (mean over graphs and heads;
  hma_graph.nn.explain.attention_maps).

It also writes figures.json with the run's record summary and the numbers behind attention.png.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from hma_graph._atomic import atomic_path, write_json_atomic
from hma_graph.experiments.registry import resolve
from hma_graph.experiments.run import run_spec
from hma_graph.nn.explain import attention_maps

RESULTS = Path(__file__).resolve().parent / "results" / "figures"
CLASSES = ("cycle", "house", "crane")


def embeddings(model, loader):
    model.eval()
    hs, ys = [], []
    with torch.no_grad():
        for g, y in loader:
            hs.append(model.embed(g, g.ndata["feat"]))
            ys.append(y)
    return torch.cat(hs), torch.cat(ys)


def attention_by_class(maps, y, n_classes):
    """rows: true class of the test graph; columns: self, then each class of memory/slots."""
    out = {}
    for part, labels_key in (("memory", "memory_labels"), ("slots", "slot_labels")):
        if part not in maps:
            continue
        w, lab = maps[part], maps[labels_key]
        valid = maps.get("memory_valid", torch.ones_like(lab, dtype=torch.bool)) if part == "memory" else \
            torch.ones_like(lab, dtype=torch.bool)
        table = []
        for c in range(n_classes):
            rows = w[y == c]
            cols = [rows[:, 0].mean()] + [rows[:, 1:][:, (lab == k) & valid].sum(1).mean() for k in range(n_classes)]
            table.append([float(v) for v in cols])
        out[part] = table
    return out


def save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    plt.close(fig)


def draw_tsne(model, h, y, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    slots = model.hma.slots.detach().reshape(-1, model.hma.feat_dim)
    slot_y = model.hma.slot_labels
    pts = TSNE(perplexity=30, random_state=0, init="pca").fit_transform(torch.cat([h, slots]).numpy())
    fig, ax = plt.subplots(figsize=(5, 4.2))
    for c, name in enumerate(CLASSES):
        sel = (y == c).numpy()
        ax.scatter(pts[:len(h)][sel, 0], pts[:len(h)][sel, 1], s=6, alpha=0.4, color=f"C{c}",
                   label=f"test graphs: {name}")
        sel = (slot_y == c).numpy()
        ax.scatter(pts[len(h):][sel, 0], pts[len(h):][sel, 1], s=70, marker="*", edgecolor="k", linewidth=0.5,
                   color=f"C{c}", label=f"slots of class {name}")
    ax.set_title("t-SNE of synthetic slots and test-graph embeddings", fontsize=9)
    ax.legend(fontsize=6, loc="best")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    save(fig, path)


def draw_attention(tables, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(tables), figsize=(4.2 * len(tables), 3.2), squeeze=False)
    for ax, (part, table) in zip(axes[0], tables.items()):
        arr = np.array(table)
        im = ax.imshow(arr, cmap="magma", vmin=0, vmax=1)
        for (i, j), v in np.ndenumerate(arr):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w" if v < 0.6 else "k")
        ax.set_xticks(range(arr.shape[1]), ["self"] + [f"{part}: {c}" for c in CLASSES], fontsize=6, rotation=20)
        ax.set_yticks(range(arr.shape[0]), [f"test: {c}" for c in CLASSES], fontsize=7)
        ax.set_title(("block 1 over the memory queue" if part == "memory" else "block 2 over the synthetic slots"),
                     fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    save(fig, path)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="benchmarks/figures.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    spec = {"suite": "spmotif", "dataset": "SPMotif-0.9", "method": "hma", "seed": args.seed}
    rec, model, loaders = run_spec(resolve("ood", "demo", spec, {"train": {"epochs": args.epochs}}), return_model=True)
    h, y = embeddings(model, loaders["test"])
    tables = attention_by_class(attention_maps(model.hma, h), y, len(CLASSES))
    draw_tsne(model, h, y, args.out / "slots_tsne.png")
    draw_attention(tables, args.out / "attention.png")
    summary = {"config": rec["config"], "selected_epoch": rec["selected_epoch"], "valid": rec["valid"],
               "test": rec["test"], "attention_by_class": tables, "machine": rec["machine"]}
    write_json_atomic(args.out / "figures.json", summary)
    print(f"test accuracy {100 * rec['test']:.1f}% (epoch {rec['selected_epoch']}); wrote {args.out}")
    return summary


if __name__ == "__main__":
    main()
