"""OOD benchmarks: TU size shift (Table 6), SentiGraph degree shift (Table 5), Spurious-Motif.

    python benchmarks/ood.py --suite tu                          # Table 6: NCI1 NCI109 PROTEINS DD
    python benchmarks/ood.py --suite sst --raw-dir DIR           # Table 5: Graph-SST5 Graph-Twitter
    python benchmarks/ood.py --suite spmotif --datasets SPMotif-0.33 SPMotif-0.9
    python benchmarks/ood.py --suite tu --profile quick --datasets PROTEINS --methods erm hma --seeds 0
    python benchmarks/ood.py --suite tu --table-only             # rewrite TABLE.md from the records
    python benchmarks/ood.py --suite tu --address HOST:PORT      # the same sweep on a Ray cluster

A run is {suite, dataset, method, seed}; its record goes to benchmarks/results/ood/<suite>-<profile>/
(an --epochs override appends -e<N>; --out to change), named by the spec and the hash of its
resolved config: the same command resumes, and records of another protocol are never counted as
done or shown. Runs execute as Ray tasks (one CPU each) or in this process with --serial; a killed
run continues from its last saved epoch. TABLE.md is rewritten after every finished run; spmotif also
draws BIAS.png (accuracy and difference to ERM against the training bias b) at the end.

Protocols: docs/PROTOCOLS.md, sections B (tu), C (sst), D (methods), F (spmotif); every setting
(backbones, HMA, penalties, CIGA per data set, profiles) is in hma_graph/experiments/ood_spec.py.
Methods: erm asap dir irm vrex ibirm cigav1 cigav2 hma (the paper's nine), and hma-s1 (HMA at lr_scale 1).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from hma_graph.experiments import ood_plot, ood_report
from hma_graph.experiments.cli import add_sweep_args, check_positive, run_benchmark
from hma_graph.experiments.datasets import SENTIGRAPH_FILES, missing_sentigraph_files
from hma_graph.experiments.ood_spec import DEFAULT_METHODS, METHODS, SUITES, check_datasets
from hma_graph.experiments.registry import profile_names

RESULTS = Path(__file__).resolve().parent / "results" / "ood"


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="benchmarks/ood.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", required=True, choices=sorted(SUITES), help="tu, sst or spmotif")
    ap.add_argument("--datasets", nargs="+", metavar="NAME",
                    help="tu: NCI1 NCI109 PROTEINS DD; sst: Graph-SST5 Graph-Twitter; spmotif: SPMotif-<bias> "
                         "(default: the suite's data sets; spmotif: SPMotif-0.33, -0.6, -0.9)")
    ap.add_argument("--methods", nargs="+", choices=METHODS, default=list(DEFAULT_METHODS), metavar="METHOD",
                    help=f"any of {' '.join(METHODS)} (default: the paper's methods and hma; hma-s1 = HMA "
                         "with lr_scale 1, the library default before 0.1)")
    ap.add_argument("--seeds", type=int, nargs="+", help="default: the suite's seeds, 0-4")
    ap.add_argument("--profile", choices=profile_names("ood"), default="paper",
                    help="paper: the paper's protocol; quick: a smoke run, not a result")
    ap.add_argument("--epochs", type=int, help="override the profile's maximum epochs")
    ap.add_argument("--raw-dir", help="folder with DIG's SentiGraph raw files (suite sst)")
    add_sweep_args(ap)
    args = ap.parse_args(argv)
    check_positive(ap, args, ("epochs", "threads", "workers"))
    try:
        args.datasets = check_datasets(args.suite, args.datasets or SUITES[args.suite].get("default")
                                       or SUITES[args.suite]["datasets"])
    except ValueError as e:
        ap.error(str(e))
    if args.suite == "sst" and not args.table_only:
        if not args.raw_dir:
            ap.error("--suite sst needs --raw-dir DIR holding DIG's SentiGraph raw files "
                     f"(<name>_{{{','.join(SENTIGRAPH_FILES)}}}) for {args.datasets}")
        missing = missing_sentigraph_files(args.raw_dir, args.datasets)
        if missing:
            ap.error(f"missing SentiGraph raw file(s) in {args.raw_dir}: " + ", ".join(p.name for p in missing)
                     + " (DIG's Graph-SST5 / Graph-Twitter files; docs/PROTOCOLS.md, section C)")
    tag = f"{args.suite}-{args.profile}" + (f"-e{args.epochs}" if args.epochs else "")
    args.out = args.out or RESULTS / tag
    return args


def main(argv=None) -> str:
    args = parse_args(argv)
    seeds = args.seeds if args.seeds is not None else list(SUITES[args.suite]["seeds"])
    specs = [{"suite": args.suite, "dataset": d, "method": m, "seed": s}
             for d in args.datasets for s in seeds for m in args.methods]
    overrides = {"train": {"epochs": args.epochs}} if args.epochs else None
    options = {"raw_dir": args.raw_dir} if args.raw_dir else {}
    if args.serial:
        options["progress"] = not args.no_progress
    return run_benchmark("ood", args.profile, specs, args, overrides=overrides, options=options or None,
                         script=__file__, argv=argv,
                         render=lambda records, notes: ood_report.render(records, args.suite, notes),
                         after=(lambda records: ood_plot.plot_bias(records, args.out / "BIAS.png"))
                         if args.suite == "spmotif" else None)


if __name__ == "__main__":
    main()
