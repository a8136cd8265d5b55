"""Migrate records of the earlier format (``<name>.json`` with a benchmark-specific ``config``) to
the record store's identity (``<name>.<config hash>.json`` with the resolved config).

For each old record the resolved config is reconstructed from its spec and profile with
:func:`hma_graph.experiments.registry.resolve`, plus overrides for settings the old record states
differently from today's profile (e.g. records made before the momentum warm-up existed state no
``momentum_warmup``: they ran with a constant lambda); then every setting the old record stated is
checked against the reconstruction, and a record that does not match is refused with the
differences. The old config is kept in ``migrated_from``. Nothing is re-run.

    python -m hma_graph.experiments.migrate FOLDER --benchmark table3 --profile paper

Later changes of what a config states are migrated the same way, by adding the value the old runs
had: :func:`add_model_options` (CIGA's model options) and :func:`pin_hma_options` (``lr_scale`` 1,
stated since 0.1 became the library default; ``--lr-scale-1``, which also renames those records'
"hma" runs to the recipe "hma-s1").
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, Mapping, Optional, Tuple

from .registry import resolve
from .store import RecordStore

__all__ = ["migrate_record", "migrate_folder", "add_model_options", "pin_hma_options"]

_T3_MODEL = ("num_layers", "emb_dim", "drop_ratio")
_T3_HMA = ("label_dim", "memory_size", "slots_per_class", "momentum_warmup", "inference")
_OOD_TRAIN = ("epochs", "warmup", "patience", "batch_size", "lr", "metric")
_OOD_DATA = ("self_loops", "bias", "sizes", "base_size", "test_base_size")


def _table3(old: Mapping, spec: Mapping, profile: str) -> Tuple[dict, Dict[str, Tuple]]:
    plain = spec["variant"] == "plain"
    # records of this format predate lr_scale: they ran with 1
    warmup = {} if "momentum_warmup" in old else {"momentum_warmup": False}
    over = {} if plain else {"hma": {"lr_scale": 1.0, **warmup}}
    cfg = resolve("table3", profile, spec, over)
    got = {**{k: cfg["model"][k] for k in _T3_MODEL}, "batch_size": cfg["train"]["batch_size"],
           "lr": cfg["train"]["lr"], "train_limit": cfg["data"]["train_limit"], "profile": profile}
    if not plain:
        got.update({k: cfg["hma"][k] for k in _T3_HMA})
    if cfg["train"]["hma_lr"] is not None or "hma_lr" in old:
        got["hma_lr"] = cfg["train"]["hma_lr"]
    return cfg, {k: (old.get(k), v) for k, v in got.items() if k in old or k == "hma_lr"}


def _ood(old: Mapping, spec: Mapping, profile: str) -> Tuple[dict, Dict[str, Tuple]]:
    cfg = resolve("ood", profile, spec, {"hma": {"lr_scale": 1.0}})  # records of this format predate lr_scale
    model = {k: v for k, v in cfg["model"].items() if k not in ("name", "ratio")}
    got = {"backbone": model, "objective": cfg["objective"]["name"], "objective_hparams": cfg["objective"]["hparams"],
           **{k: cfg["train"][k] for k in _OOD_TRAIN}, **{k: cfg["data"][k] for k in _OOD_DATA if k in cfg["data"]}}
    if cfg["hma"] is not None:
        got["hma"] = {k: v for k, v in cfg["hma"].items() if k != "lr_scale"}
    if cfg["model"]["name"] == "ciga":
        got["ratio"] = cfg["model"]["ratio"]
    return cfg, {k: (old.get(k), v) for k, v in got.items()}


def migrate_record(rec: Mapping, profile: str) -> dict:
    """The new-format result of one old record (without the store's own fields); ``ValueError``
    listing every setting that differs from the reconstruction."""
    spec, old = dict(rec["spec"]), dict(rec.get("config") or {})
    cfg, pairs = (_table3 if "variant" in spec else _ood)(old, spec, profile)
    bad = {k: v for k, v in pairs.items() if v[0] != v[1]}
    if bad:
        raise ValueError(f"{rec.get('name')}: old config differs from the reconstruction (old, new): {bad}")
    out = {k: v for k, v in rec.items() if k not in ("config", "name", "status", "spec", "test_batch_inference")}
    extra = {("test_batch" if k == "test_batch_inference" else k): v for k, v in (rec.get("extra") or {}).items()}
    if extra:
        out["extra"] = extra
    if "train_graphs" in old:
        out["sizes"] = {s: old[f"{s}_graphs"] for s in ("train", "valid", "test")}
    out.setdefault("params", old.get("params"))
    out["migrated_from"] = {"file": f"{rec.get('name')}.json", "config": old}
    out["config"] = cfg
    return out


def migrate_folder(folder, benchmark: str, profile: str) -> int:
    """Migrate every old-format ``*.json`` record in ``folder``; returns how many."""
    store, n = RecordStore(folder), 0
    for p in sorted(Path(folder).glob("*.json")):
        rec = json.loads(p.read_text())
        if "identity" in rec:
            continue
        if ("variant" in rec["spec"]) != (benchmark == "table3"):
            raise ValueError(f"{p}: not a {benchmark} record")
        out = migrate_record(rec, profile)
        new = store.write(rec["spec"], out.pop("config"), out)
        assert store.read(store.path(rec["spec"], new["config"]))["test"] == rec["test"]
        p.unlink()
        n += 1
    return n


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folder", type=Path)
    ap.add_argument("--benchmark", choices=("table3", "ood"))
    ap.add_argument("--profile")
    ap.add_argument("--lr-scale-1", action="store_true",
                    help="records made before lr_scale was stated: they ran with lr_scale 1 (pin_hma_options); "
                         "their 'hma' runs become 'hma-s1'")
    args = ap.parse_args(argv)
    if args.lr_scale_1:
        n = pin_hma_options(args.folder, {"lr_scale": 1.0}, rename={"hma": "hma-s1"})
        print(f"{args.folder}: {n} record(s) now state lr_scale 1")
    elif args.benchmark and args.profile:
        print(f"{args.folder}: migrated {migrate_folder(args.folder, args.benchmark, args.profile)} record(s)")
    else:
        ap.error("give --benchmark and --profile, or --lr-scale-1")


def add_model_options(folder, model_name: str, options: Mapping) -> int:
    """Give the records of ``model_name`` runs in ``folder`` the model ``options`` they ran with but
    whose keys the config did not have yet (e.g. CIGA's options, added after those runs with the
    values that were then built in); their identity and file name follow. Returns how many."""
    store, n = RecordStore(folder), 0
    for p in sorted(Path(folder).glob("*.json")):
        rec = store.read(p)
        model = rec["config"]["model"]
        if model.get("name") != model_name or all(k in model for k in options):
            continue
        cfg = {**rec["config"], "model": {**model, **{k: v for k, v in options.items() if k not in model}}}
        out = {k: v for k, v in rec.items() if k not in ("config", "identity", "name", "status", "spec")}
        store.write(rec["spec"], cfg, out)
        p.unlink()
        n += 1
    return n


def pin_hma_options(folder, options: Mapping, rename: Optional[Mapping[str, str]] = None) -> int:
    """Give every HMA record in ``folder`` the HMA ``options`` it ran with but whose keys its config
    did not state (``lr_scale`` 1: the library default until 0.1 replaced it, and the registry began
    to state it). With ``rename`` {old method: new}, a record of method ``old`` becomes one of
    ``new`` (spec, config and file name; e.g. "hma" -> "hma-s1", the recipe that keeps lr_scale 1) where
    its benchmark's registry has that recipe, so it stays shown as that row. Identity and file name
    follow; the old file name is kept in ``previous_files``. Returns how many records changed."""
    store, n = RecordStore(folder), 0
    for p in sorted(Path(folder).glob("*.json")):
        rec = store.read(p)
        hma = rec["config"]["hma"]
        if hma is None or all(k in hma for k in options):
            continue
        spec, cfg = dict(rec["spec"]), dict(rec["config"])
        cfg["hma"] = {**hma, **{k: v for k, v in options.items() if k not in hma}}
        new = (rename or {}).get(cfg["method"])
        if new is not None and _knows(cfg, spec, new):
            spec["variant" if "variant" in spec else "method"] = cfg["method"] = new
        out = {k: v for k, v in rec.items() if k not in ("config", "identity", "name", "status", "spec")}
        out["previous_files"] = list(rec.get("previous_files", [])) + [p.name]
        if store.path(spec, cfg).exists():
            raise FileExistsError(f"{p}: its migrated record {store.path(spec, cfg)} exists already")
        store.write(spec, cfg, out)
        p.unlink()
        n += 1
    return n


def _knows(cfg: Mapping, spec: Mapping, method: str) -> bool:
    """Whether the record's benchmark has ``method`` (resolving the renamed spec succeeds)."""
    key = "variant" if "variant" in spec else "method"
    try:
        resolve(cfg["benchmark"], cfg["profile"], {**spec, key: method})
    except (KeyError, ValueError):
        return False
    return True


if __name__ == "__main__":
    main()
