"""The config registry: resolution, inheritance, identity hashes and unknown keys."""
import pytest

from hma_graph.experiments import registry
from hma_graph.experiments.ood_spec import ciga_hparams

T3 = {"dataset": "ogbg-molbace", "epochs": 100, "model": "gin-v", "variant": "hma-lr0.1", "seed": 1}
OOD = {"suite": "tu", "dataset": "PROTEINS", "method": "cigav2", "seed": 0}


def test_table3_resolution_holds_everything_the_run_depends_on():
    cfg = registry.resolve("table3", "paper", T3)
    assert cfg["model"] == {"name": "ogb_mol", "gnn_type": "gin", "virtual_node": True, "num_layers": 5,
                            "emb_dim": 300, "drop_ratio": 0.5}
    assert cfg["hma"] == {"variant": "hma", "label_dim": 16, "memory_size": 96, "slots_per_class": 32,
                          "momentum_warmup": True, "inference": "isolated", "lr_scale": 1.0}
    assert cfg["train"]["hma_lr"] == pytest.approx(1e-4) and cfg["train"]["epochs"] == 100
    assert cfg["eval"] == {"other_inference": "batch"} and cfg["objective"] is None
    plain = registry.resolve("table3", "paper", {**T3, "variant": "plain"})
    assert plain["hma"] is None and plain["eval"]["other_inference"] is None
    # a plain run's identity does not depend on HMA settings
    assert registry.config_hash(plain) == registry.config_hash(
        registry.resolve("table3", "paper", {**T3, "variant": "plain"}, {"hma": {"inference": "batch"}}))


def test_profiles_inherit_from_their_base():
    quick = registry.resolve("table3", "quick", {**T3, "epochs": 2})
    assert quick["model"]["num_layers"] == 2 and quick["model"]["drop_ratio"] == 0.5   # from paper
    assert quick["hma"]["slots_per_class"] == 8 and quick["hma"]["memory_size"] == 96
    assert quick["data"] == {"train_limit": 256}
    demo = registry.resolve("ood", "demo", {"suite": "spmotif", "dataset": "SPMotif-0.9", "method": "hma", "seed": 0})
    assert demo["train"]["patience"] is None and demo["train"]["epochs"] == 60
    assert demo["data"]["sizes"] == [800, 400, 400] and demo["data"]["bias"] == 0.9


def test_ood_resolution_and_ciga_table():
    cfg = registry.resolve("ood", "paper", OOD)
    assert cfg["model"] == {"name": "ciga", "hidden": 32, "num_layers": 3, "conv": "gin", "readout": "max",
                            "dropout": 0.3, "ratio": 0.3, "classifier_input": "raw", "contrast_rep": "classifier",
                            "causal_head": "mlp"}                    # PROTEINS: CIGA's published options
    nci1 = registry.resolve("ood", "paper", {**OOD, "dataset": "NCI1"})["model"]
    assert (nci1["classifier_input"], nci1["contrast_rep"]) == ("featurizer", "featurizer")
    assert cfg["objective"] == {"name": "cigav2", "hparams": {"alpha": 0.5, "beta": 1.0}}
    assert cfg["train"]["count_warmup"] is False and cfg["train"]["metric"] == "mcc"
    assert ciga_hparams("sst", "Graph-Twitter", "cigav2") == {"ratio": 0.6, "alpha": 8.0, "beta": 0.5}
    assert ciga_hparams("tu", "NCI1", "v1") == {"ratio": 0.6, "alpha": 0.5}
    assert ciga_hparams("spmotif", "SPMotif-0.6", "v2") == {"ratio": 0.25, "alpha": 4.0, "beta": 2.0}
    with pytest.raises(ValueError, match="no CIGA hyperparameters"):
        ciga_hparams("tu", "mutag", "v1")
    with pytest.raises(ValueError, match="version"):
        ciga_hparams("tu", "dd", "v3")


def test_unknown_keys_raise_naming_the_key():
    cases = [({**T3, "lr": 1}, "lr"),
             ({k: v for k, v in T3.items() if k != "seed"}, "seed")]
    for spec, key in cases:
        with pytest.raises(KeyError, match=key):
            registry.resolve("table3", "paper", spec)
    for over, key in (({"optim": {}}, "optim"), ({"train": {"lr_decay": 0.5}}, "train.lr_decay"),
                      ({"hma": {"slotz": 3}}, "hma.slotz"), ({"model": {"width": 3}}, "model.width")):
        with pytest.raises(KeyError, match=key.replace(".", r"\.")):
            registry.resolve("table3", "paper", T3, over)
    with pytest.raises(KeyError, match="unknown profile 'fast'"):
        registry.resolve("table3", "fast", T3)
    with pytest.raises(KeyError, match="unknown benchmark"):
        registry.resolve("table9", "paper", T3)
    with pytest.raises(ValueError, match="unknown method 'dro'"):
        registry.resolve("ood", "paper", {**OOD, "method": "dro"})


def test_overrides_and_identity():
    base = registry.resolve("table3", "paper", T3)
    over = registry.resolve("table3", "paper", T3, {"train": {"clip_grad_norm": 1.0},
                                                    "hma": {"attn_scale": "full"}, "model": {"emb_dim": 64}})
    assert over["train"]["clip_grad_norm"] == 1.0 and over["hma"]["attn_scale"] == "full"
    assert over["model"]["emb_dim"] == 64 and over["model"]["num_layers"] == 5
    assert registry.config_hash(base) != registry.config_hash(over)
    assert registry.config_hash(base) == registry.config_hash(registry.resolve("table3", "paper", dict(T3)))
    flipped = registry.resolve("table3", "paper", T3, {"hma": {"inference": "batch"}})
    assert flipped["eval"]["other_inference"] == "isolated"
    assert len(registry.config_hash(base)) == 12


def test_every_hma_config_states_lr_scale():
    """The library default (0.1) is written into every HMA config, so a later change of the default
    is a new protocol; the recipes of the earlier default state 1."""
    from hma_graph.experiments.registry import resolve
    from hma_graph.nn.scaling import DEFAULT_LR_SCALE

    t3 = {"dataset": "ogbg-molbace", "epochs": 100, "model": "gin", "seed": 0}
    want = {"hma": DEFAULT_LR_SCALE, "abd": DEFAULT_LR_SCALE, "hma-s1": 1.0, "hma-lr0.1": 1.0,
            "hma-authors-lr0.1": 1.0}
    for variant, scale in want.items():
        assert resolve("table3", "paper", {**t3, "variant": variant})["hma"]["lr_scale"] == scale, variant
    assert resolve("table3", "paper", {**t3, "variant": "plain"})["hma"] is None
    lr01 = resolve("table3", "paper", {**t3, "variant": "hma-lr0.1"})
    assert lr01["train"]["hma_lr"] == pytest.approx(1e-4)       # the parameter-group recipe, on the unscaled layer
    ood = {"suite": "tu", "dataset": "NCI1", "seed": 0}
    assert resolve("ood", "paper", {**ood, "method": "hma"})["hma"]["lr_scale"] == DEFAULT_LR_SCALE
    assert resolve("ood", "paper", {**ood, "method": "hma-s1"})["hma"]["lr_scale"] == 1.0
    assert resolve("ood", "paper", {**ood, "method": "erm"})["hma"] is None
    t4 = resolve("table4", "paper", {"dataset": "IMDB-BINARY", "method": "rma", "seed": 1314})
    assert t4["hma"]["lr_scale"] == DEFAULT_LR_SCALE
    over = resolve("ood", "paper", {**ood, "method": "hma"}, {"hma": {"lr_scale": 0.5}})
    assert over["hma"]["lr_scale"] == 0.5
