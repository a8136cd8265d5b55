"""Table 4 in the registry: every method's resolved config, the profiles, and that adding Table 4's
optional keys left the identity of every committed Table 3 / OOD record as it was."""
import json
from pathlib import Path

import pytest

from hma_graph.experiments import registry
from hma_graph.experiments.table4_spec import METHODS, SEEDS

ROOT = Path(__file__).resolve().parents[2]
SPEC = {"dataset": "IMDB-BINARY", "method": "vanilla", "seed": 1314}
# committed records (git ls-files): their identity is the hash of the config they were made with (HMA
# records made before lr_scale was stated: migrated with `python -m hma_graph.experiments.migrate --lr-scale-1`)
COMMITTED = ["table3/paper/dataset=ogbg-molbace__epochs=100__model=gin__seed=0__variant=plain.9f1f49a6a5ad.json",
             "table3/paper/dataset=ogbg-molbace__epochs=100__model=gin__seed=0__variant=hma-s1.5f8e0b7bec2b.json",
             "table3/paper/dataset=ogbg-molbbbp__epochs=100__model=gin__seed=0__variant=hma-lr0.1.2f7e664375e7.json",
             "ood/tu-paper/dataset=NCI1__method=erm__seed=0__suite=tu.00f664c29ea4.json",
             "ood/tu-paper/dataset=NCI1__method=hma-s1__seed=0__suite=tu.b60269683fea.json",
             "ood/spmotif-paper/dataset=SPMotif-0.9__method=cigav2__seed=0__suite=spmotif.bf89da9ba280.json"]


@pytest.mark.parametrize("name", COMMITTED, ids=lambda n: n.split("/")[-1][:60])
def test_committed_records_keep_their_identity(name):
    rec = json.loads((ROOT / "benchmarks" / "results" / name).read_text())
    cfg = registry.resolve(rec["config"]["benchmark"], rec["config"]["profile"], rec["spec"])
    assert registry.config_hash(cfg) == rec["identity"] == name.rsplit(".", 2)[1]
    assert "lr_step" not in cfg["train"] and "head_layers" not in cfg["model"]   # optional keys stay absent


def test_paper_profile_is_g_mixups_protocol():
    cfg = registry.resolve("table4", "paper", SPEC)
    assert cfg["model"] == {"name": "gnn", "hidden": 64, "num_layers": 5, "conv": "gin", "readout": "mean",
                            "dropout": 0.0, "head_layers": 2}
    tr = cfg["train"]
    assert (tr["epochs"], tr["batch_size"], tr["lr"], tr["weight_decay"], tr["lr_step"]) == (800, 128, 0.01, 5e-4,
                                                                                             [100, 0.5])
    assert (tr["metric"], tr["loss"], tr["patience"]) == ("accuracy", "ce", None)
    assert cfg["data"] == {"suite": "tu-id", "split": [0.7, 0.1, 0.2], "one_hot_below": 2000, "augment": None,
                           "gmixup": None}
    assert cfg["hma"] is None and cfg["objective"] is None and cfg["eval"] == {"other_inference": None}
    assert SEEDS == (1314, 11314, 21314, 31314, 41314, 51314, 61314, 71314)


def test_every_method_resolves_to_its_settings():
    cfgs = {m: registry.resolve("table4", "paper", {**SPEC, "method": m}) for m in METHODS}
    assert cfgs["dropedge"]["data"]["augment"] == {"name": "dropedge", "p": 0.2}
    assert cfgs["dropnode"]["data"]["augment"] == {"name": "dropnode", "p": 0.2}
    assert cfgs["subgraph"]["data"]["augment"] == {"name": "subgraph", "keep": 0.8}
    assert cfgs["mmixup"]["objective"] == {"name": "mmixup", "hparams": {"alpha": 1.0}}
    assert cfgs["gmixup"]["data"]["gmixup"] == {"resolution": "median", "threshold": 0.2, "aug_num": 10,
                                                "aug_ratio": 0.15, "lam_range": [0.005, 0.01], "drop_isolated": True}
    for m in ("rma", "abd", "abd+syn", "hma"):
        h = cfgs[m]["hma"]
        assert h["variant"] == m and (h["memory_size"], h["slots_per_class"], h["label_dim"]) == (128, 32, 16)
        assert cfgs[m]["eval"]["other_inference"] == (None if m == "rma" else "batch")
    # only what a method changes differs from vanilla's config
    base = cfgs["vanilla"]
    for m, c in cfgs.items():
        changed = {k for k in c if c[k] != base[k]}
        assert changed <= {"method", "data", "objective", "hma", "eval"}, (m, changed)
    assert len({registry.config_hash(c) for c in cfgs.values()}) == len(METHODS)


def test_reduced_and_quick_profiles():
    red = registry.resolve("table4", "reduced", SPEC)
    assert red["train"]["epochs"] == 200 and red["train"]["lr_step"] == [25, 0.5] and red["model"]["num_layers"] == 5
    quick = registry.resolve("table4", "quick", {**SPEC, "method": "hma"})
    assert quick["train"]["epochs"] == 3 and quick["hma"]["memory_size"] == 32
    assert registry.profile_names("table4") == ["paper", "quick", "reduced"]
    over = registry.resolve("table4", "paper", SPEC, {"train": {"epochs": 5}})
    assert over["train"]["epochs"] == 5 and over["train"]["lr_step"] == [100, 0.5]


def test_unknown_names_raise():
    with pytest.raises(ValueError, match="unknown Table 4 method 'erm'"):
        registry.resolve("table4", "paper", {**SPEC, "method": "erm"})
    with pytest.raises(ValueError, match="unknown Table 4 data set 'MUTAG'"):
        registry.resolve("table4", "paper", {**SPEC, "dataset": "MUTAG"})
    with pytest.raises(KeyError, match="train.lr_decay"):
        registry.resolve("table4", "paper", SPEC, {"train": {"lr_decay": 0.5}})
    with pytest.raises(KeyError, match="model.width"):
        registry.resolve("table4", "paper", SPEC, {"model": {"width": 3}})
    with pytest.raises(KeyError, match="model.head_layers"):   # optional keys exist only where a benchmark sets them
        registry.resolve("ood", "paper", {"suite": "tu", "dataset": "NCI1", "method": "erm", "seed": 0},
                         {"model": {"head_layers": 2}})
