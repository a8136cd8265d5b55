"""Search HMA's hyperparameters for Table 3 on validation only (never the test set).

    python benchmarks/search.py --datasets bace --models gin --trials 48             # one cell
    python benchmarks/search.py --datasets bace bbbp --trials 48 --workers 2         # two workers
    python benchmarks/search.py --table-only                                         # SEARCH.md, PNG

One Optuna study per (data set, backbone): a grid over the registry's space "hma"
(hma_graph/experiments/table3_spec.py: m1 in {32, 64, 96}, m2 in {8, 16, 32, 64}, the HMA layer's
Adam lr in {1e-3, 1e-4}, block in {ours, authors}), each trial the Table 3 "hma" run with those
overrides, scored by its best validation ROC-AUC (mean over --seeds), pruned by successive halving
on the best-so-far validation value (rungs at 10, 30, 90 epochs). The search seed defaults to 100,
a seed the evaluation does not use. Trials live in <out>/search.journal (resumable, shared by workers:
--workers N runs N Ray tasks, --serial one process); a trial whose process died, or whose machine
stopped writing its heartbeat 5 minutes ago, is run again by the next command. Writes <out>/SEARCH.md
(every finished trial, best first) and <out>/SENSITIVITY.png (per cell, validation ROC-AUC over (m1, m2)
after the first rung's 11 epochs, which every trial ran, and after 100 epochs where a trial completed).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from hma_graph._atomic import atomic_path, write_text_atomic
from hma_graph.experiments.report import markdown_table
from hma_graph.experiments.search import FIRST_RUNG, make_study, optimize, study_names, trials_table
from hma_graph.experiments.table3_spec import MODELS, SEARCH_SPACES, dataset_name, row_label, short

RESULTS = Path(__file__).resolve().parent / "results" / "search"
SPACE = SEARCH_SPACES["hma"]
# the space sets the HMA layer's lr through a parameter group (hma_lr), on the unscaled layer: the
# library's lr_scale is held at 1, as when the search was made (before 0.1 became the default)
FIXED = {"hma": {"lr_scale": 1.0}}


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="benchmarks/search.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", default=["bace", "bbbp"], help="bace, bbbp (hiv works, slowly)")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS))
    ap.add_argument("--trials", type=int, default=48, help="finished trials per cell (the grid has 48)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[100], help="search seeds (default 100)")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--profile", default="paper")
    ap.add_argument("--out", type=Path, help="default benchmarks/results/search/table3-<profile>")
    ap.add_argument("--workers", type=int, default=1, help="Ray tasks working on the studies (default 1)")
    ap.add_argument("--address", help="Ray cluster address (the folder must be on a shared file system)")
    ap.add_argument("--serial", action="store_true", help="one worker in this process, no Ray")
    ap.add_argument("--table-only", action="store_true", help="only write SEARCH.md and SENSITIVITY.png")
    args = ap.parse_args(argv)
    try:
        args.datasets = [dataset_name(d) for d in args.datasets]
    except ValueError as e:
        ap.error(str(e))
    args.out = args.out or RESULTS / f"table3-{args.profile}"
    return args


def cells(args):
    return [{"dataset": d, "epochs": args.epochs, "model": m, "variant": "hma"} for d in args.datasets
            for m in args.models]


def work(cell_list, args_dict):
    """One worker: every cell's study in turn (studies are shared through the journal)."""
    import torch

    torch.set_num_threads(1)
    for spec in cell_list:
        optimize("table3", args_dict["profile"], spec, SPACE, args_dict["out"], trials=args_dict["trials"],
                 seeds=args_dict["seeds"], fixed=FIXED)


def run(args) -> None:
    shared = {"profile": args.profile, "out": str(args.out.resolve()), "trials": args.trials, "seeds": args.seeds}
    if args.serial:
        return work(cells(args), shared)
    import ray

    ray.init(address=args.address, include_dashboard=False, log_to_driver=True, configure_logging=False,
             **({} if args.address else {"num_cpus": args.workers}))
    try:
        task = ray.remote(num_cpus=1, max_retries=0)(work)
        ray.get([task.remote(cells(args), shared) for _ in range(args.workers)])
    finally:
        ray.shutdown()


def report(args) -> str:
    parts = [f"# Search on validation ROC-AUC (Table 3, profile {args.profile}, {args.epochs} epochs, "
             f"search seeds {args.seeds})\n\nObjective: best validation ROC-AUC over the epochs (x 100; for a "
             "pruned trial: the best before it was stopped). 'valid, 11 epochs': the best over the first "
             f"{FIRST_RUNG + 1} epochs, which every trial ran (the pruner's first rung), so trials compare at "
             "equal budget. The test set is never evaluated.\n"]
    figures, existing = [], study_names(args.out)
    for spec in cells(args):
        name = (f"table3-{args.profile}-dataset={spec['dataset']}__epochs={spec['epochs']}"
                f"__model={spec['model']}__variant=hma")
        if name not in existing:  # a report never creates a study
            continue
        study = make_study(name, args.out, SPACE)
        rows = trials_table(study, SPACE)
        if not rows:
            continue
        parts += [f"\n## {short(spec['dataset'])}, {row_label(spec['model'], 'hma')}: {len(rows)} trials\n",
                  markdown_table(["trial", "state", *SPACE, "valid ROC-AUC", "valid, 11 epochs", "epochs", "wall s"],
                                 [[r["number"], r["state"], *(r[k] for k in SPACE), _pct(r["value"]), _pct(r["early"]),
                                   r["epochs"],
                                   "-" if r["wall_s"] is None else f"{r['wall_s']:.0f}"] for r in rows])]
        figures.append((spec, rows))
    text = "\n".join(parts) + "\n"
    write_text_atomic(args.out / "SEARCH.md", text)
    if figures:
        sensitivity(figures, args.out / "SENSITIVITY.png")
    return text


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.2f}"


def _grids(rows):
    """(m1 x m2) grids: best validation over the first rung (every trial) and over 100 epochs (complete)."""
    import numpy as np

    m1s, m2s = SPACE["m1"][1], SPACE["m2"][1]
    early, full = (np.full((len(m1s), len(m2s)), np.nan) for _ in range(2))
    for r in rows:
        i, j = m1s.index(r["m1"]), m2s.index(r["m2"])
        if r["early"] is not None:
            early[i, j] = np.nanmax([early[i, j], 100 * r["early"]])
        if r["state"] == "complete":
            full[i, j] = np.nanmax([full[i, j], 100 * r["value"]])
    return early, full


def sensitivity(figures, path: Path) -> None:
    """Per cell, validation ROC-AUC over (m1, m2): the colour and the upper number are the best over the
    first rung's epochs (every trial ran them; the best over the HMA-layer lr and the block); the
    lower number, where a trial of that (m1, m2) ran all epochs, its best over the whole run."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    m1s, m2s = SPACE["m1"][1], SPACE["m2"][1]
    fig, axes = plt.subplots(1, len(figures), figsize=(3.6 * len(figures), 3.3), squeeze=False)
    for ax, (spec, rows) in zip(axes[0], figures):
        early, full = _grids(rows)
        im = ax.imshow(np.ma.masked_invalid(early), cmap="viridis", origin="lower")
        for (i, j), v in np.ndenumerate(early):
            text = "not run" if np.isnan(v) else (
                f"{v:.1f}" + ("" if np.isnan(full[i, j]) else f"\n100 ep: {full[i, j]:.1f}"))
            dark = np.isnan(v) or im.norm(v) > 0.6  # black text on the light end of viridis
            ax.text(j, i, text, ha="center", va="center", fontsize=6, color="k" if dark else "w")
        ax.set_xticks(range(len(m2s)), m2s)
        ax.set_yticks(range(len(m1s)), m1s)
        ax.set_xlabel("m2 (slots per class)")
        ax.set_ylabel("m1 (queue)")
        ax.set_title(f"{short(spec['dataset'])} {row_label(spec['model'], 'hma')}: valid ROC-AUC, "
                     f"{FIRST_RUNG + 1} epochs", fontsize=7)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)


def main(argv=None) -> str:
    args = parse_args(argv)
    if not args.table_only:
        run(args)
    text = report(args)
    print(text)
    return text


if __name__ == "__main__":
    main()
