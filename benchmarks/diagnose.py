"""Diagnostics: one short Table 3 run (GIN, seed 0, paper profile) with stated overrides, one record.

    python benchmarks/diagnose.py bace_gin_seed0_15ep_hma_hma-lr1e-4 --variant hma --epochs 15 --hma-lr 1e-4
    python benchmarks/diagnose.py bace_gin_seed0_15ep_hma_clip1 --variant hma --epochs 15 --clip 1
    python benchmarks/diagnose.py bace_gin_seed0_25ep_hma_attn-full --variant hma --epochs 25 --apply attn_scale=full
    python benchmarks/diagnose.py hma_4ep --variant hma --epochs 4 --dataset hiv --layers 3 --width 64 \\
        --out benchmarks/results/table3/diagnostics/hiv

The run is the Table 3 spec {dataset, epochs, model: "gin", variant, seed: 0} resolved under the
"paper" profile (hma_graph/experiments/table3_spec.py; docs/PROTOCOLS.md, section A) with these
overrides, each a key of the resolved config (an unknown key is an error naming it):

  --layers L, --width W   model.num_layers, model.emb_dim (default: the profile's 5 x 300)
  --hma-lr X              train.hma_lr: Adam lr of the HMA layer's parameters (the backbone keeps 1e-3)
  --clip C                train.clip_grad_norm: clip the gradient norm of all parameters before each step
  --apply KEY=VALUE       hma.KEY, an option of hma_graph.apply (VALUE is read as JSON where it
                          parses: 0, 1e-4, true; else as a string: full, token, online)

It trains with hma_graph.experiments.run.run_spec on one torch thread and writes run_spec's record
(its "config" is the resolved config, so the record states what ran) plus "spec" and "command" to
<out>/<TAG>.json (atomically; default benchmarks/results/table3/diagnostics/). Then it prints one
line: TAG, training loss and validation metric per epoch, selected epoch, test metric there, wall s.
One seed and short runs: diagnostics that locate an effect, not results.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from hma_graph._atomic import write_json_atomic
from hma_graph.experiments.registry import resolve
from hma_graph.experiments.table3_spec import VARIANTS, dataset_name

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "table3" / "diagnostics"


def parse_value(text: str):
    """JSON where ``text`` parses ('0' -> 0, '1e-4' -> 0.0001, 'true' -> True), else the string itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="benchmarks/diagnose.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tag", help="name of the record: <out>/<TAG>.json")
    ap.add_argument("--variant", choices=VARIANTS, default="hma", help="Table 3 variant (default hma)")
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--dataset", default="ogbg-molbace", help="ogbg-molbace (or bace, default), bbbp, hiv")
    ap.add_argument("--layers", type=int, help="GIN layers (default: the profile's 5)")
    ap.add_argument("--width", type=int, help="GIN embedding width (default: the profile's 300)")
    ap.add_argument("--hma-lr", type=float, help="Adam lr of the HMA layer's parameters")
    ap.add_argument("--clip", type=float, help="gradient-norm clipping of all parameters before each step")
    ap.add_argument("--apply", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                    help="hma_graph.apply options, e.g. attn_scale=full dropout=0 memory_encoder=online")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder of the record (default {DEFAULT_OUT})")
    args = ap.parse_args(argv)
    if not args.tag or Path(args.tag).name != args.tag:
        ap.error(f"TAG must be a plain file name, got {args.tag!r}")
    for k, least in (("epochs", 1), ("layers", 2), ("width", 1)):  # OGB's GIN has >= 2 layers
        if getattr(args, k) is not None and getattr(args, k) < least:
            ap.error(f"--{k} must be >= {least}, got {getattr(args, k)}")
    for k in ("hma_lr", "clip"):
        if getattr(args, k) is not None and not getattr(args, k) > 0:
            ap.error(f"--{k.replace('_', '-')} must be > 0, got {getattr(args, k)}")
    if args.variant == "plain" and (args.apply or args.hma_lr is not None):
        ap.error("--apply and --hma-lr need an HMA variant; 'plain' has no HMA layer")
    try:
        args.dataset = dataset_name(args.dataset)
        hma = {}
        for item in args.apply:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise ValueError(f"--apply takes KEY=VALUE pairs, got {item!r}")
            hma[key] = parse_value(value)
        args.spec = {"dataset": args.dataset, "epochs": args.epochs, "model": "gin", "variant": args.variant,
                     "seed": 0}
        overrides = {"model": {k: v for k, v in (("num_layers", args.layers), ("emb_dim", args.width))
                               if v is not None},
                     "train": {k: v for k, v in (("hma_lr", args.hma_lr), ("clip_grad_norm", args.clip))
                               if v is not None},
                     "hma": hma}
        args.config = resolve("table3", "paper", args.spec, {k: v for k, v in overrides.items() if v})
    except (KeyError, ValueError) as e:
        ap.error(e.args[0] if e.args else str(e))
    return args


def summary(tag: str, rec) -> str:
    """The one line the former diag.py printed: loss and validation per epoch, selected epoch, test, wall s."""
    h = rec["history"]
    return " ".join(map(str, [tag, "loss", [round(x, 4) for x in h["train_loss"]], "valid",
                              [round(x, 3) for x in h["valid"]], "sel", rec["selected_epoch"], "test",
                              round(rec["test"], 3), "wall", round(rec["wall_s"])]))


def main(argv=None) -> dict:
    args = parse_args(argv)
    from hma_graph.experiments.run import run_spec

    torch.set_num_threads(1)
    rec = run_spec(args.config)
    rec.update(spec=args.spec, command=["benchmarks/diagnose.py"] + list(sys.argv[1:] if argv is None else argv))
    write_json_atomic(args.out / f"{args.tag}.json", rec)
    print(summary(args.tag, rec), flush=True)
    return rec


if __name__ == "__main__":
    main()
