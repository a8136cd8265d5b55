"""The search: a grid on validation only, resumable through its journal, pruning, dead trials."""
import subprocess
import sys
import time

import optuna
import pytest

import hma_graph.experiments.run as run_module
import hma_graph.experiments.search as search
from hma_graph.experiments.search import (make_study, optimize, overrides_of, recover_dead_trials, study_names,
                                          trials_table)

SPACE = {"m1": ("hma.memory_size", [16, 32]), "m2": ("hma.slots_per_class", [2, 4])}
SPEC = {"suite": "spmotif", "dataset": "SPMotif-0.9", "method": "hma"}


@pytest.fixture
def tiny_profile(monkeypatch):
    """The registry's demo profile at 2 epochs on 40/20/20 graphs."""
    from hma_graph.experiments import ood_spec

    tiny = {**ood_spec.PROFILES, "tiny": {"base": "demo", "train": {"epochs": 2}, "spmotif": {"sizes": [40, 20, 20]}}}
    monkeypatch.setattr(ood_spec, "PROFILES", tiny)


def test_overrides_of():
    assert overrides_of({"m1": 32, "m2": 4}, SPACE) == {"hma": {"memory_size": 32, "slots_per_class": 4}}


def test_grid_on_validation_only_and_resume(tmp_path, tiny_profile, monkeypatch):
    seen = []
    real = run_module.run_spec
    monkeypatch.setattr(run_module, "run_spec", lambda cfg, **k: seen.append((cfg, r := real(cfg, **k))) or r)
    study = optimize("ood", "tiny", SPEC, SPACE, tmp_path, trials=4, seeds=[7], pruner="none")
    rows = trials_table(study, SPACE)
    assert sorted((r["m1"], r["m2"]) for r in rows) == [(16, 2), (16, 4), (32, 2), (32, 4)]   # the whole grid
    assert all(r["state"] == "complete" for r in rows) and rows[0]["value"] >= rows[-1]["value"]
    for cfg, rec in seen:
        assert rec["history"]["test"] == [None, None] and rec["test"] is None            # test never evaluated
        assert rec["valid"] == max(rec["history"]["valid"]) and cfg["seed"] == 7
    seen_sizes = {(c["hma"]["memory_size"], c["hma"]["slots_per_class"]) for c, _ in seen}
    assert seen_sizes == {(16, 2), (16, 4), (32, 2), (32, 4)}
    again = optimize("ood", "tiny", SPEC, SPACE, tmp_path, trials=4, seeds=[7], pruner="none")
    assert len(seen) == 4 and len(again.trials) == 4                                       # resumed: nothing re-run
    assert (tmp_path / "search.journal").stat().st_size > 0


def test_pruned_trials_stop_early_and_leave_no_checkpoint(tmp_path, tiny_profile):
    study = optimize("ood", "tiny", SPEC, SPACE, tmp_path, trials=2, seeds=[7],
                     pruner=optuna.pruners.ThresholdPruner(lower=2.0))                    # prunes everything
    rows = trials_table(study, SPACE)
    assert [r["state"] for r in rows] == ["pruned", "pruned"] and all(r["epochs"] == 1 for r in rows)
    assert not list(tmp_path.glob(".partial/*"))


def test_trials_table_reports_the_best_value_up_to_the_first_rung(tmp_path):
    study = make_study("s", tmp_path, SPACE, "none")
    dist = {k: optuna.distributions.CategoricalDistribution(v[1]) for k, v in SPACE.items()}
    curves = {(16, 2): [0.5, 0.7, 0.6, 0.9], (32, 4): [0.4, 0.8]}    # steps 0..3 and 0..1
    for (m1, m2), curve in curves.items():
        study.enqueue_trial({"m1": m1, "m2": m2})
        trial = study.ask(dist)
        for step, v in enumerate(curve):
            trial.report(v, step)
        study.tell(trial, max(curve))
    rows = {(r["m1"], r["m2"]): r for r in trials_table(study, SPACE, early_step=2)}
    assert rows[(16, 2)]["early"] == 0.7 and rows[(16, 2)]["value"] == 0.9   # best of steps 0-2, not step 2's 0.6
    assert rows[(32, 4)]["early"] is None                                     # never reached step 2


def test_study_names_only_reads(tmp_path):
    assert study_names(tmp_path) == set() and not (tmp_path / "search.journal").exists()
    make_study("a", tmp_path, SPACE)
    size = (tmp_path / "search.journal").stat().st_size
    assert study_names(tmp_path) == {"a"} and (tmp_path / "search.journal").stat().st_size == size


def test_a_dead_workers_trial_is_failed_and_queued_again(tmp_path):
    study = make_study("s", tmp_path, SPACE, "none")
    trial = study.ask({"m1": optuna.distributions.CategoricalDistribution([16, 32]),
                       "m2": optuna.distributions.CategoricalDistribution([2, 4])})
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    trial.set_user_attr("host", __import__("socket").gethostname())
    trial.set_user_attr("pid", dead.pid)
    assert recover_dead_trials(study) == [trial.number]
    states = [t.state for t in study.get_trials()]
    assert states == [optuna.trial.TrialState.FAIL, optuna.trial.TrialState.WAITING]
    assert study.get_trials()[1].system_attrs["fixed_params"] == trial.params


def _running_trial(study, **attrs):
    trial = study.ask({"m1": optuna.distributions.CategoricalDistribution([16, 32]),
                       "m2": optuna.distributions.CategoricalDistribution([2, 4])})
    for k, v in attrs.items():
        trial.set_user_attr(k, v)
    return trial


def test_a_trial_of_another_host_is_dead_once_its_heartbeat_is_stale(tmp_path):
    study = make_study("s", tmp_path, SPACE, "none")
    stale = _running_trial(study, host="machine-switched-off", pid=1, heartbeat=time.time() - 301)
    _running_trial(study, host="machine-still-on", pid=1, heartbeat=time.time() - 30)
    assert recover_dead_trials(study) == [stale.number]                     # the live one is left alone
    states = [t.state.name for t in study.get_trials()]
    assert states == ["FAIL", "RUNNING", "WAITING"]
    assert study.get_trials()[2].system_attrs["fixed_params"] == stale.params


def test_without_a_heartbeat_the_start_time_counts(tmp_path):
    study = make_study("s", tmp_path, SPACE, "none")
    trial = _running_trial(study, host="elsewhere", pid=1)
    assert recover_dead_trials(study) == []                                 # just started: alive
    time.sleep(0.05)
    assert recover_dead_trials(study, stale_s=0.01) == [trial.number]


def test_a_running_trial_writes_heartbeats(tmp_path, tiny_profile, monkeypatch):
    monkeypatch.setattr(search, "HEARTBEAT_S", 0.01)
    t0 = time.time()
    study = optimize("ood", "tiny", SPEC, SPACE, tmp_path, trials=1, seeds=[7], pruner="none")
    beat = study.trials[0].user_attrs["heartbeat"]
    assert t0 <= beat <= time.time()
    assert beat > study.trials[0].datetime_start.timestamp() + 0.01         # beaten again after the start
