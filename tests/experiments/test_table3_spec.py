"""Table 3's registry entries: the tuned variant and what its row and caption say."""
import shutil
from pathlib import Path

import pytest

from hma_graph.experiments import registry, table3_report as t3
from hma_graph.experiments.search import make_study, trials_table
from hma_graph.experiments.table3_spec import SEARCH_SPACES, TUNED, row_label

SEARCH = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "search" / "table3-paper"
B, P, H = "ogbg-molbace", "ogbg-molbbbp", "ogbg-molhiv"


def spec(dataset, variant, model="gin", seed=0):
    return {"dataset": dataset, "epochs": 100, "model": model, "variant": variant, "seed": seed}


def test_tuned_variant_takes_the_selection_of_its_data_set():
    cfg = registry.resolve("table3", "paper", spec(B, "hma-tuned", "gcn"))
    assert (cfg["hma"]["memory_size"], cfg["hma"]["slots_per_class"], cfg["hma"]["block"]) == (64, 8, "authors")
    assert cfg["hma"]["lr_scale"] == 1.0 and cfg["train"]["hma_lr"] == pytest.approx(1e-4)  # 0.1 x Adam 1e-3
    assert cfg["hma"]["label_dim"] == 16 and cfg["eval"]["other_inference"] == "batch"  # the rest: the profile's
    default = registry.resolve("table3", "paper", spec(B, "hma", "gcn"))
    assert default["hma"]["memory_size"] == 96 and default["train"]["hma_lr"] is None
    assert row_label("gin-v", "hma-tuned") == "GIN-v+HMA (tuned)"
    bbbp = registry.resolve("table3", "paper", spec(P, "hma-tuned", "gin-v"))["hma"]
    assert (bbbp["memory_size"], bbbp["slots_per_class"], bbbp["block"]) == (96, 64, "authors")


def test_tuned_variant_without_a_search_names_the_data_set_and_the_command():
    with pytest.raises(ValueError, match=r"ogbg-molhiv.*benchmarks/search.py --datasets hiv"):
        registry.resolve("table3", "paper", spec(H, "hma-tuned"))


def test_tuned_matches_the_best_finished_trial_of_the_committed_search(tmp_path):
    """TUNED is copied from the search's results: it must be that search's best complete trial."""
    shutil.copy(SEARCH / "search.journal", tmp_path / "search.journal")  # loading never touches the repo
    space = SEARCH_SPACES["hma"]
    for dataset, (factor, overrides, source) in TUNED.items():
        name = f"table3-paper-dataset={dataset}__epochs=100__model=gin__variant=hma"
        best = trials_table(make_study(name, tmp_path, space), space)[0]
        assert best["state"] == "complete"
        assert (best["m1"], best["m2"], best["block"]) == (overrides["memory_size"], overrides["slots_per_class"],
                                                            overrides["block"])
        assert best["hma_lr"] == pytest.approx(factor * 1e-3) and overrides["lr_scale"] == 1.0  # searched at 1
        assert f"trial {best['number']} " in source and f"{100 * best['value']:.2f}" in source


def test_caption_lists_each_variants_settings_apart():
    recs = [{"spec": s, "test": 0.7, "extra": {}, "status": "done", "config": registry.resolve("table3", "paper", s)}
            for s in (spec(B, "plain"), spec(B, "hma"), spec(B, "hma-s1"), spec(B, "hma-tuned"))]
    text = t3.caption(recs)
    assert "HMA: d_l 16, m1 96, m2 32/class, momentum warm-up on, lr_scale 0.1;" in text
    assert "HMA (lr_scale 1): d_l 16, m1 96, m2 32/class, momentum warm-up on, lr_scale 1;" in text
    assert ("HMA (tuned): d_l 16, m1 64, m2 8/class, momentum warm-up on, lr_scale 1, authors block, "
            "HMA layer Adam lr 0.0001") in text


def test_caption_names_the_data_set_where_a_variants_settings_differ():
    # the tuned row differs per data set (bace m1 64 m2 8, bbbp m1 96 m2 64): both must be printed
    recs = [{"spec": s, "test": 0.7, "extra": {}, "status": "done", "config": registry.resolve("table3", "paper", s)}
            for s in (spec(B, "hma"), spec(P, "hma"), spec(B, "hma-tuned"), spec(P, "hma-tuned", seed=1))]
    text = t3.caption(recs)
    assert "HMA: d_l 16, m1 96, m2 32/class, momentum warm-up on, lr_scale 0.1;" in text   # same on both: once
    assert text.count("HMA: d_l 16") == 1
    assert "HMA (tuned): bace [d_l 16, m1 64, m2 8/class" in text
    assert "HMA layer Adam lr 0.0001], bbbp [d_l 16, m1 96, m2 64/class" in text
