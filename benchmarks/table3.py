"""Table 3 of the paper: OGB molecular property prediction (ROC-AUC %), with and without HMA.

    python benchmarks/table3.py                                   # paper profile, everything (hours)
    python benchmarks/table3.py --profile quick --datasets bace --models gin --variants plain hma --seeds 0
    python benchmarks/table3.py --hiv-epochs 30                   # a stated, reduced hiv protocol
    python benchmarks/table3.py --table-only                      # rewrite TABLE.md from the records
    python benchmarks/table3.py --address HOST:PORT               # the same sweep on a Ray cluster

Sweep: data set x seed x backbone (gcn, gcn-v, gin, gin-v) x variant ("plain" = the backbone's own
linear head; "hma" and its ablations rma, abd, abd+syn, abd+rma, param = hma_graph.apply with the
library's defaults (lr_scale 0.1); recipes, not in the paper: "hma-s1" = "hma" with lr_scale 1 (every
parameter at the Adam lr, the paper's setting), "hma-lr0.1" = "hma-s1" with the HMA layer at 0.1 x the
Adam lr in a parameter group, "hma-authors-lr0.1" the same with the authors' block, "hma-tuned" the
validation search's selection for the data set (bace and bbbp; benchmarks/search.py)). Runs execute as Ray
tasks on this machine (one CPU each) or in this process with --serial; each writes one record to
benchmarks/results/table3/<profile>/ (or --out), named by its spec and the hash of its resolved
config, so the same command resumes and records of another protocol are never counted or mixed.
A killed run continues from its last saved epoch (<out>/.partial/). TABLE.md and PAIRED.png are
rewritten from every record of this protocol in the folder.

Protocol: docs/PROTOCOLS.md, section A (settings in hma_graph/experiments/table3_spec.py).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from hma_graph.experiments import table3_report as report
from hma_graph.experiments.cli import add_sweep_args, check_positive, run_benchmark
from hma_graph.experiments.datasets import load_data
from hma_graph.experiments.registry import profile as get_profile, profile_names, resolve
from hma_graph.experiments.table3_spec import DATASETS, MODELS, VARIANTS, dataset_name

RESULTS = Path(__file__).resolve().parent / "results" / "table3"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="benchmarks/table3.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", choices=profile_names("table3"), default="paper",
                    help="paper: the paper's protocol; quick: a CPU smoke run, not a result")
    ap.add_argument("--datasets", nargs="+", default=list(DATASETS), metavar="NAME",
                    help="ogbg-molbace (or bace), bbbp, hiv (default: all three)")
    ap.add_argument("--models", nargs="+", choices=list(MODELS), default=list(MODELS), help="backbones")
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=["plain", "hma"],
                    help="rows per backbone (default: plain hma)")
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2], help="default: 0 1 2 (the paper: 3 seeds)")
    ap.add_argument("--epochs", type=int, help="override the profile's epochs for every data set")
    ap.add_argument("--hiv-epochs", type=int, help="override the epochs for ogbg-molhiv only")
    ap.add_argument("--inference", choices=("isolated", "batch"), default="isolated",
                    help="HMA inference mode for selection and the main number (the other is recorded too)")
    add_sweep_args(ap)
    args = ap.parse_args(argv)
    try:
        args.datasets = [dataset_name(d) for d in args.datasets]
    except ValueError as e:
        ap.error(str(e))
    check_positive(ap, args, ("epochs", "hiv_epochs", "threads", "workers"))
    if len(set(args.seeds)) != len(args.seeds):
        ap.error("--seeds has duplicates")
    args.out = args.out or RESULTS / args.profile
    return args


def make_specs(args) -> list:
    """Order: data set, seed, backbone, variant, so that paired runs finish close together."""
    default = get_profile("table3", args.profile)["epochs"]

    def epochs(d):
        return args.hiv_epochs if d == "ogbg-molhiv" and args.hiv_epochs else (args.epochs or default)

    return [{"dataset": d, "epochs": epochs(d), "model": m, "variant": v, "seed": s}
            for d in args.datasets for s in args.seeds for m in args.models for v in args.variants]


def main(argv=None) -> str:
    args = parse_args(argv)
    overrides = {"hma": {"inference": args.inference}}
    specs = make_specs(args)
    if not args.table_only:  # load every data set first: a missing file fails before hours of runs
        for d in dict.fromkeys(s["dataset"] for s in specs):
            load_data(resolve("table3", args.profile, next(s for s in specs if s["dataset"] == d)))
    return run_benchmark("table3", args.profile, specs, args, overrides=overrides, script=__file__, argv=argv,
                         render=lambda records, notes: report.render(records, notes),
                         options={"progress": not args.no_progress} if args.serial else None,
                         after=lambda records: report.plot_paired(records, args.out / "PAIRED.png"))


if __name__ == "__main__":
    main()
