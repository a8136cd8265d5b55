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
