"""Table 4: TU in-distribution graph classification (G-Mixup's protocol), accuracy.

    python benchmarks/table4.py                                  # paper profile: 3 data sets x 10 methods x 8 seeds
    python benchmarks/table4.py --profile reduced                # 200 epochs, lr halved every 25 (in the caption)
    python benchmarks/table4.py --datasets IMDB-BINARY --methods vanilla hma gmixup --seeds 1314 --serial
    python benchmarks/table4.py --datasets REDDIT-MULTI-5K       # needs the official download (see README)
    python benchmarks/table4.py --table-only                     # rewrite TABLE.md, PAIRED.png from the records
    python benchmarks/table4.py --address HOST:PORT              # the same sweep on a Ray cluster

A run is {dataset, method, seed}; its record goes to benchmarks/results/table4/<profile>/ (an
--epochs override appends -e<N>; --out to change), named by the spec and the hash of its resolved
config: the same command resumes, and records of another protocol are never counted as done or
shown. Runs execute as Ray tasks (one CPU each) or in this process with --serial; a killed run
continues from its last saved epoch. TABLE.md and PAIRED.png (each method's per-seed differences to
vanilla) are rewritten after every finished run.

Protocol: docs/PROTOCOLS.md, section E; every setting (split, features, GIN, schedule, the
baselines' rates, G-Mixup's options, HMA) is in hma_graph/experiments/table4_spec.py.
Data sets: IMDB-BINARY IMDB-MULTI REDDIT-BINARY (offline mirror) REDDIT-MULTI-5K REDDIT-MULTI-12K.
Methods: vanilla dropedge dropnode subgraph mmixup gmixup rma abd abd+syn hma.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from hma_graph.experiments import table4_report
from hma_graph.experiments.cli import add_sweep_args, check_positive, run_benchmark
from hma_graph.experiments.registry import profile_names
from hma_graph.experiments.table4_spec import AVAILABLE, DATASETS, METHODS, SEEDS

RESULTS = Path(__file__).resolve().parent / "results" / "table4"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="benchmarks/table4.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", nargs="+", choices=DATASETS, default=list(AVAILABLE), metavar="NAME",
                    help=f"any of {' '.join(DATASETS)} (default: {' '.join(AVAILABLE)}, the ones in the "
                         "offline mirror)")
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS), metavar="METHOD",
                    help=f"any of {' '.join(METHODS)} (default: all)")
    ap.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS), metavar="SEED",
                    help=f"default: G-Mixup's eight, {' '.join(map(str, SEEDS))}")
    ap.add_argument("--profile", choices=profile_names("table4"), default="paper",
                    help="paper: G-Mixup's protocol (800 epochs); reduced: 200 epochs, lr halved every 25; "
                         "quick: a smoke run, not a result")
    ap.add_argument("--epochs", type=int, help="override the profile's number of epochs (the lr schedule stays)")
    add_sweep_args(ap)
    args = ap.parse_args(argv)
    check_positive(ap, args, ("epochs", "threads", "workers"))
    tag = args.profile + (f"-e{args.epochs}" if args.epochs else "")
    args.out = args.out or RESULTS / tag
    return args


def main(argv=None) -> str:
    args = parse_args(argv)
    specs = [{"dataset": d, "method": m, "seed": s} for d in args.datasets for s in args.seeds for m in args.methods]
    overrides = {"train": {"epochs": args.epochs}} if args.epochs else None
    options = {"progress": not args.no_progress} if args.serial else None
    return run_benchmark("table4", args.profile, specs, args, overrides=overrides, options=options,
                         script=__file__, argv=argv, render=table4_report.render,
                         after=lambda records: table4_report.plot_paired(records, args.out / "PAIRED.png"))


if __name__ == "__main__":
    main()
