"""The one registry of protocols: profiles, backbones, HMA settings, objective settings.

A run is named by a small **spec** (what a sweep enumerates), e.g. Table 3's
``{"dataset": "ogbg-molbace", "epochs": 100, "model": "gin", "variant": "hma", "seed": 0}`` or the
OOD suites' ``{"suite": "tu", "dataset": "NCI1", "method": "hma", "seed": 0}``.
:func:`resolve` turns ``(benchmark, profile, spec, overrides)`` into the **resolved config**, a
plain JSON-able dict holding everything the run depends on and nothing else (threads, paths and
progress bars are not in it)::

    {"benchmark", "profile", "dataset", "seed", "method",
     "data":      {...},  # split / generation settings (Table 3: train_limit; Spurious-Motif: bias, sizes)
     "model":     {"name": "ogb_mol" | "gnn" | "ciga" | "asap", ...constructor arguments},
     "hma":       None | {...hma_graph.apply options; always with lr_scale},
     "objective": None | {"name": "erm" | "irm" | ..., "hparams": {...}},
     "train":     {"epochs", "batch_size", "lr", "hma_lr", "weight_decay", "clip_grad_norm",
                   "loss", "metric", "warmup", "patience", "count_warmup"[, "lr_step"]},
     "eval":      {"other_inference": None | "batch" | "isolated"}}

Optional keys (:data:`OPTIONAL_KEYS`) are allowed but never added by default, so a benchmark that
does not set them resolves to the same config (and identity) as before they existed: Table 4's
``train.lr_step`` ``[every, gamma]`` (StepLR) and ``model.head_layers`` (2: a Linear-ReLU-Linear head).

An HMA config always states ``lr_scale`` (the library default,
:data:`hma_graph.nn.scaling.DEFAULT_LR_SCALE`, unless a profile or variant sets it), so records made
under another default are another protocol. Every record stores its resolved config, and its
identity is :func:`config_hash` of it, so records of another protocol are never mistaken for this
one's. Profiles are nested dicts; a profile may name a ``"base"`` profile it overrides.
``overrides`` (nested dict) are applied last: a key that is not part of the config raises a
``KeyError`` naming it. The protocols themselves are described in ``docs/PROTOCOLS.md``; the
benchmark-specific tables are :mod:`.table3_spec`, :mod:`.ood_spec` and :mod:`.table4_spec`.
"""
from __future__ import annotations

import copy
import hashlib
import json
from typing import Dict, Mapping, Optional

from ..nn.scaling import DEFAULT_LR_SCALE

__all__ = ["resolve", "config_hash", "merge", "BENCHMARKS", "profile_names", "TRAIN_KEYS", "OPTIONAL_KEYS"]

TRAIN_KEYS = ("epochs", "batch_size", "lr", "hma_lr", "weight_decay", "clip_grad_norm", "loss", "metric",
              "warmup", "patience", "count_warmup")
TRAIN_DEFAULTS = {"hma_lr": None, "weight_decay": 0.0, "clip_grad_norm": None, "warmup": None,
                  "patience": None, "count_warmup": True}
# keys of hma_graph.apply / hma_graph.nn.HMA that a config may set
HMA_KEYS = ("variant", "memory_encoder", "momentum", "momentum_warmup", "label_dim", "memory_size",
            "slots_per_class", "num_heads", "dropout", "inference", "attn_scale", "head_input",
            "slot_init_std", "block", "memory_labels", "lr_scale")
MODEL_KEYS = {"ogb_mol": ("gnn_type", "virtual_node", "num_layers", "emb_dim", "drop_ratio"),
              "gnn": ("hidden", "num_layers", "conv", "readout", "dropout"),
              "ciga": ("hidden", "num_layers", "conv", "readout", "dropout", "ratio", "classifier_input",
                       "contrast_rep", "causal_head"),
              "asap": ("hidden", "num_layers", "ratio", "dropout")}
SECTIONS = ("data", "model", "hma", "objective", "train", "eval")
# keys a config may hold but that no default adds: absent from every config that does not set them
OPTIONAL_KEYS = {"train": ("lr_step",), "model": ("head_layers",)}


def merge(base: Mapping, over: Mapping, where: str = "config", strict: bool = True) -> dict:
    """``base`` updated by ``over`` recursively (dicts merge, other values replace).

    With ``strict``, a key of ``over`` missing from ``base`` raises ``KeyError`` naming its path.
    """
    out = copy.deepcopy(dict(base))
    for k, v in over.items():
        if strict and k not in out:
            raise KeyError(f"unknown key {where}.{k}; known: {sorted(out)}")
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge(out[k], v, f"{where}.{k}", strict)
        else:
            out[k] = copy.deepcopy(v)
    return out


def config_hash(config: Mapping) -> str:
    """First 12 hex digits of the SHA-256 of the canonical JSON of ``config``."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _benchmarks() -> Dict[str, object]:
    from . import ood_spec, table3_spec, table4_spec

    return {"table3": table3_spec, "ood": ood_spec, "table4": table4_spec}


BENCHMARKS = ("table3", "ood", "table4")


def _module(benchmark: str):
    mods = _benchmarks()
    if benchmark not in mods:
        raise KeyError(f"unknown benchmark {benchmark!r}; known: {sorted(mods)}")
    return mods[benchmark]


def profile_names(benchmark: str):
    return sorted(_module(benchmark).PROFILES)


def profile(benchmark: str, name: str) -> dict:
    """The profile ``name`` of ``benchmark`` with its ``base`` chain applied."""
    profiles = _module(benchmark).PROFILES
    if name not in profiles:
        raise KeyError(f"unknown profile {name!r} for {benchmark}; known: {sorted(profiles)}")
    p = dict(profiles[name])
    base = p.pop("base", None)
    return merge(profile(benchmark, base), p, f"profile {name}", strict=False) if base else copy.deepcopy(p)


def check_spec(benchmark: str, spec: Mapping) -> dict:
    keys = _module(benchmark).SPEC_KEYS
    unknown = sorted(set(spec) - set(keys))
    missing = sorted(set(keys) - set(spec))
    if unknown:
        raise KeyError(f"unknown spec key(s) {unknown} for {benchmark}; a spec has {list(keys)}")
    if missing:
        raise KeyError(f"spec for {benchmark} lacks {missing}; a spec has {list(keys)}")
    return dict(spec)


def resolve(benchmark: str, profile_name: str, spec: Mapping, overrides: Optional[Mapping] = None) -> dict:
    """The resolved config of one run (module docstring); unknown keys raise ``KeyError``."""
    spec = check_spec(benchmark, spec)
    cfg = _module(benchmark).resolve(profile(benchmark, profile_name), spec)
    cfg = {"benchmark": benchmark, "profile": profile_name, **cfg}
    if cfg["hma"] is not None and "lr_scale" not in cfg["hma"]:
        # stated in every HMA config, so a change of the library default is a new protocol
        cfg["hma"] = {**cfg["hma"], "lr_scale": DEFAULT_LR_SCALE}
    if overrides:
        bad = sorted(set(overrides) - set(SECTIONS))
        if bad:
            raise KeyError(f"unknown override section(s) {bad}; known: {list(SECTIONS)}")
        over = dict(overrides)
        if "hma" in over:  # a run without HMA does not depend on HMA settings
            _check_keys(over["hma"], HMA_KEYS, "hma")
            hma = over.pop("hma")
            if cfg["hma"] is not None:
                cfg["hma"] = {**cfg["hma"], **hma}
                if "inference" in hma and cfg["eval"]["other_inference"] is not None:
                    cfg["eval"]["other_inference"] = "batch" if hma["inference"] == "isolated" else "isolated"
        cfg = merge(cfg, over)
    return validate(cfg)


def _check_keys(d: Mapping, allowed, where: str) -> None:
    bad = sorted(set(d) - set(allowed))
    if bad:
        raise KeyError(f"unknown key(s) {', '.join(f'{where}.{k}' for k in bad)}; known: {sorted(allowed)}")


def validate(cfg: Mapping) -> dict:
    """Check a resolved config's sections and keys; return it. Raises ``KeyError``/``ValueError``."""
    _check_keys(cfg, ("benchmark", "profile", "dataset", "seed", "method") + SECTIONS, "config")
    for s in SECTIONS:
        if s not in cfg:
            raise KeyError(f"config lacks section {s!r}")
    model = cfg["model"]
    if model.get("name") not in MODEL_KEYS:
        raise ValueError(f"config.model.name must be one of {sorted(MODEL_KEYS)}, got {model.get('name')!r}")
    _check_keys({k: v for k, v in model.items() if k != "name"}, MODEL_KEYS[model["name"]]
                + (OPTIONAL_KEYS["model"] if model["name"] == "gnn" else ()), "model")
    if cfg["hma"] is not None:
        _check_keys(cfg["hma"], HMA_KEYS, "hma")
    _check_keys(cfg["train"], TRAIN_KEYS + OPTIONAL_KEYS["train"], "train")
    missing = sorted(set(TRAIN_KEYS) - set(cfg["train"]))
    if missing:
        raise KeyError(f"config.train lacks {missing}")
    if cfg["objective"] is not None:
        _check_keys(cfg["objective"], ("name", "hparams"), "objective")
    _check_keys(cfg["eval"], ("other_inference",), "eval")
    json.dumps(cfg, allow_nan=False)  # JSON-able: what the record stores is what ran
    return dict(cfg)


def train_section(profile_train: Mapping, **values) -> dict:
    """A complete ``train`` section: defaults, then the profile's values, then ``values``."""
    out = {**TRAIN_DEFAULTS, **profile_train, **values}
    _check_keys(out, TRAIN_KEYS + OPTIONAL_KEYS["train"], "train")
    return out
