"""Learning curves of finished sweep runs: training loss, validation and test metric per epoch.

    python benchmarks/plot_curves.py benchmarks/results/table3/paper --where dataset=ogbg-molbace model=gin
    python benchmarks/plot_curves.py benchmarks/results/ood/tu-paper --where dataset=NCI1 --color method

Reads every usable record of a records folder (``hma_graph.experiments.store.RecordStore.scan``; a
file that is not one, e.g. unfinished or edited, is named on stderr and left out), keeps those whose
spec matches every ``--where key=value`` (values compared as strings), and draws one line per run in
three panels (epoch on x): ``history["train_loss"]``, ``history["valid"]``, ``history["test"]``. Lines
are coloured by one spec key (``--color``, default "variant"; runs with the same colour are the
seeds), and each run's selected epoch (best validation) is marked with a dot on the test panel,
so what a table averages can be seen run by run. Writes a PNG (default ``curves.png`` in the
records folder); matplotlib's non-interactive Agg backend, no display needed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List, Mapping, Sequence

from hma_graph.experiments.store import RecordStore

PANELS = (("train_loss", "training loss"), ("valid", "validation"), ("test", "test"))


def parse_where(items: Sequence[str]) -> Dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; a clear error for anything else."""
    out = {}
    for it in items:
        key, sep, value = it.partition("=")
        if not sep or not key:
            raise ValueError(f"--where takes key=value pairs, got {it!r}")
        out[key] = value
    return out


def load_records(folder) -> List[dict]:
    """Every usable record in ``folder``; each unusable ``*.json`` is named on stderr with what is wrong."""
    records, problems = RecordStore(folder).scan()
    for path, why in problems:
        print(f"warning: left out {path}: {why}", file=sys.stderr)
    return records


def select(records: Sequence[Mapping], where: Mapping[str, str]) -> List[Mapping]:
    """The records whose spec has every ``where`` key with that value (compared as strings)."""
    return [r for r in records
            if all(k in r["spec"] and str(r["spec"][k]) == v for k, v in where.items())]


def plot(records: Sequence[Mapping], color_key: str, out: Path, title: str = "") -> Path:
    """Draw the three panels for ``records`` and save a PNG at ``out``; returns ``out``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not records:
        raise ValueError("no records to plot")
    missing = [r["name"] for r in records if color_key not in r["spec"]]
    if missing:
        raise ValueError(f"--color {color_key!r} is not a spec key of {missing[0]} "
                         f"(spec keys: {sorted(records[0]['spec'])})")
    groups = sorted({str(r["spec"][color_key]) for r in records})
    colors = {g: plt.get_cmap("tab10")(i % 10) for i, g in enumerate(groups)}
    metric = records[0].get("metric", "metric")
    fig, axes = plt.subplots(1, len(PANELS), figsize=(5 * len(PANELS), 3.8), constrained_layout=True)
    for ax, (key, label) in zip(axes, PANELS):
        for r in sorted(records, key=lambda r: r["name"]):
            ys = r["history"].get(key)
            if not ys:
                continue
            g = str(r["spec"][color_key])
            ax.plot(range(len(ys)), ys, color=colors[g], lw=1.0, alpha=0.8)
            if key == "test" and r.get("selected_epoch") is not None:
                ax.plot([r["selected_epoch"]], [ys[r["selected_epoch"]]], "o", color=colors[g], ms=5)
        ax.set_xlabel("epoch")
        ax.set_ylabel(label if key == "train_loss" else f"{label} {metric}")
        ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colors[g], label=f"{color_key}={g}") for g in groups]
    axes[-1].legend(handles=handles, fontsize=8, loc="lower right")
    fig.suptitle(title or f"{len(records)} runs (dot: selected epoch)", fontsize=10)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv=None) -> Path:
    ap = argparse.ArgumentParser(prog="benchmarks/plot_curves.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("records", type=Path, help="folder of run records (*.json)")
    ap.add_argument("--where", nargs="*", default=[], metavar="KEY=VALUE", help="keep runs whose spec matches")
    ap.add_argument("--color", default="variant", help="spec key that colours the lines (default variant)")
    ap.add_argument("--out", type=Path, help="PNG path (default <records>/curves.png)")
    args = ap.parse_args(argv)
    if not args.records.is_dir():
        raise SystemExit(f"error: no records folder {args.records}")
    try:
        where = parse_where(args.where)
        chosen = select(load_records(args.records), where)
        if not chosen:
            raise ValueError(f"no finished record in {args.records} matches {where or 'anything'}")
        title = ", ".join(f"{k}={v}" for k, v in where.items())
        out = plot(chosen, args.color, args.out or args.records / "curves.png",
                   title=f"{title} ({len(chosen)} runs; dot: selected epoch)")
    except ValueError as e:
        raise SystemExit(f"error: {e}")
    print(f"wrote {out} ({len(chosen)} runs)")
    return out


if __name__ == "__main__":
    main()
