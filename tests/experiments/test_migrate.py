"""Migration of records of the earlier format: configs reconstructed and checked, nothing lost."""
import json

import pytest

from hma_graph.experiments.migrate import migrate_folder, migrate_record
from hma_graph.experiments.store import RecordStore

OLD_T3 = {"spec": {"dataset": "ogbg-molbace", "epochs": 100, "model": "gin", "seed": 0, "variant": "hma-lr0.1"},
          "name": "dataset=ogbg-molbace__epochs=100__model=gin__seed=0__variant=hma-lr0.1", "status": "done",
          "test": 0.75, "extra": {"test_batch": 0.74}, "finished": "2026-11-20T10:00:00",
          "config": {"profile": "paper", "num_layers": 5, "emb_dim": 300, "drop_ratio": 0.5, "batch_size": 32,
                     "lr": 0.001, "train_limit": None, "label_dim": 16, "memory_size": 96, "slots_per_class": 32,
                     "momentum_warmup": True, "inference": "isolated", "hma_lr": 0.0001, "params": 4310494,
                     "threads": 1, "train_graphs": 1210, "valid_graphs": 151, "test_graphs": 152}}
OLD_OOD = {"spec": {"dataset": "DD", "method": "hma", "seed": 0, "suite": "tu"}, "status": "done",
           "name": "dataset=DD__method=hma__seed=0__suite=tu", "test": 0.27, "test_batch_inference": 0.17,
           "extra": {"test_batch_inference": 0.17}, "params": 65106,
           "config": {"backbone": {"conv": "gcn", "dropout": 0.3, "hidden": 32, "num_layers": 3, "readout": "mean"},
                      "batch_size": 32, "epochs": 400, "lr": 0.001, "warmup": 20, "patience": 5, "metric": "mcc",
                      "objective": "erm", "objective_hparams": {}, "self_loops": True, "method": "hma",
                      "hma": {"label_dim": 16, "memory_size": 128, "momentum_warmup": True, "num_heads": 4,
                              "slots_per_class": 32}}}


def test_records_are_reconstructed_and_checked():
    t3 = migrate_record(OLD_T3, "paper")
    assert t3["config"]["train"]["hma_lr"] == pytest.approx(1e-4) and t3["params"] == 4310494
    assert t3["sizes"] == {"train": 1210, "valid": 151, "test": 152} and t3["extra"] == {"test_batch": 0.74}
    assert t3["migrated_from"]["config"] == OLD_T3["config"] and t3["finished"] == "2026-11-20T10:00:00"
    ood = migrate_record(OLD_OOD, "paper")
    assert ood["extra"] == {"test_batch": 0.17} and "test_batch_inference" not in ood
    assert ood["config"]["hma"]["memory_size"] == 128 and ood["config"]["train"]["patience"] == 5
    # before the momentum warm-up existed, records did not state it: they ran with a constant lambda
    pre = {**OLD_T3, "config": {k: v for k, v in OLD_T3["config"].items() if k != "momentum_warmup"}}
    assert migrate_record(pre, "paper")["config"]["hma"]["momentum_warmup"] is False
    # a record whose stated settings differ from its profile is refused, with the differences
    with pytest.raises(ValueError, match="memory_size.*128, 96"):
        migrate_record({**OLD_T3, "config": {**OLD_T3["config"], "memory_size": 128}}, "paper")
    with pytest.raises(ValueError, match="epochs.*400, 30"):
        migrate_record(OLD_OOD, "quick")


def test_folder_migration_keeps_every_value(tmp_path):
    (tmp_path / f"{OLD_T3['name']}.json").write_text(json.dumps(OLD_T3))
    assert migrate_folder(tmp_path, "table3", "paper") == 1
    records, problems = RecordStore(tmp_path).scan()
    assert problems == [] and len(records) == 1 and records[0]["test"] == 0.75
    assert not (tmp_path / f"{OLD_T3['name']}.json").exists()
    assert migrate_folder(tmp_path, "table3", "paper") == 0            # idempotent


def _record_now(store, benchmark, profile, spec, test, drop=("lr_scale",)):
    """A record as the registry made it before lr_scale was stated: the same config without it."""
    from hma_graph.experiments.registry import resolve

    cfg = resolve(benchmark, profile, spec)
    if cfg["hma"] is not None:
        cfg["hma"] = {k: v for k, v in cfg["hma"].items() if k not in drop}
    return store.write(spec, cfg, {"test": test, "valid": test})


def test_lr_scale_is_pinned_to_1_and_hma_runs_become_hma_s1(tmp_path):
    from hma_graph.experiments.migrate import main, pin_hma_options
    from hma_graph.experiments.registry import config_hash, resolve

    store = RecordStore(tmp_path)
    t3 = {"dataset": "ogbg-molbace", "epochs": 2, "model": "gin", "seed": 0}
    _record_now(store, "table3", "quick", {**t3, "variant": "hma"}, 0.61)
    _record_now(store, "table3", "quick", {**t3, "variant": "hma-lr0.1"}, 0.62)
    plain = _record_now(store, "table3", "quick", {**t3, "variant": "plain"}, 0.60)
    ood = {"suite": "tu", "dataset": "DD", "seed": 1}
    _record_now(store, "ood", "quick", {**ood, "method": "hma"}, 0.2)
    t4 = {"dataset": "IMDB-BINARY", "method": "hma", "seed": 1314}
    _record_now(store, "table4", "quick", t4, 0.7)
    main([str(tmp_path), "--lr-scale-1"])
    records, problems = store.scan()
    assert problems == [] and len(records) == 5
    by = {(r["config"]["benchmark"], r["spec"].get("variant", r["spec"].get("method"))): r for r in records}
    assert set(by) == {("table3", "hma-s1"), ("table3", "hma-lr0.1"), ("table3", "plain"), ("ood", "hma-s1"),
                       ("table4", "hma")}
    # each migrated record is what the registry resolves today for its (renamed) spec: shown, not re-run
    for (bench, _), r in by.items():
        if bench != "table4":
            assert r["identity"] == config_hash(resolve(bench, "quick", r["spec"]))
    # Table 4 has no "hma-s1" recipe: the record keeps its name, states lr_scale 1 and is another protocol
    assert by["table4", "hma"]["config"]["hma"]["lr_scale"] == 1.0
    assert by["table4", "hma"]["identity"] != config_hash(resolve("table4", "quick", t4))
    assert by["table3", "plain"]["identity"] == plain["identity"]            # no HMA: untouched
    lr01 = by["table3", "hma-lr0.1"]
    assert lr01["config"]["hma"]["lr_scale"] == 1.0 and lr01["test"] == 0.62 and lr01["config"]["method"] == "hma-lr0.1"
    assert sorted(r["test"] for r in records) == [0.2, 0.6, 0.61, 0.62, 0.7]      # nothing lost
    assert all(r["previous_files"] for r in records if r["config"]["hma"] is not None)
    # today's "hma" is another config (lr_scale 0.1): the old runs are never counted as its runs
    assert resolve("table3", "quick", {**t3, "variant": "hma"})["hma"]["lr_scale"] == 0.1
    assert pin_hma_options(tmp_path, {"lr_scale": 1.0}, rename={"hma": "hma-s1"}) == 0   # idempotent
