"""benchmarks/table4.py end to end on a generated TU-format data set (quick profile, serial, a few
seconds): records, resumption without re-running, TABLE.md; CLI errors. The table logic is tested
on hand-made records in tests/experiments/test_table4_report.py."""
import json
import runpy
from pathlib import Path

import pytest

import hma_graph.experiments.run as run_module
from _tu_generated import clear, register

ROOT = Path(__file__).resolve().parents[2]
T4 = runpy.run_path(str(ROOT / "benchmarks" / "table4.py"))


@pytest.fixture
def generated(monkeypatch, tmp_path):
    register(monkeypatch, tmp_path)
    yield
    clear()


def test_quick_sweep_end_to_end(generated, tmp_path, monkeypatch):
    out = tmp_path / "out"
    methods = ["vanilla", "dropedge", "gmixup", "hma"]
    argv = ["--profile", "quick", "--datasets", "IMDB-BINARY", "--methods", *methods, "--seeds", "1314",
            "--out", str(out), "--no-progress", "--serial"]
    table = T4["main"](argv)
    files = sorted(out.glob("*.json"))
    assert [f.name.rsplit(".", 2)[0] for f in files] == [f"dataset=IMDB-BINARY__method={m}__seed=1314"
                                                         for m in sorted(methods)]
    recs = {json.loads(f.read_text())["spec"]["method"]: json.loads(f.read_text()) for f in files}
    for m, r in recs.items():
        assert r["status"] == "done" and r["epochs_run"] == 3 and r["history"]["lr"] == [0.01, 0.01, 0.005]
        assert r["test"] == r["history"]["test"][r["selected_epoch"]] and r["sizes"] == {"train": 42, "valid": 6,
                                                                                         "test": 12}
    assert recs["dropedge"]["config"]["data"]["augment"] == {"name": "dropedge", "p": 0.2}
    assert "synthetic" in recs["gmixup"] and "test_batch" in recs["hma"]["extra"]
    assert table == (out / "TABLE.md").read_text()
    assert (out / "PAIRED.png").stat().st_size > 0  # each method minus vanilla, drawn after every run
    for label in ("vanilla", "DropEdge", "G-Mixup", "HMA", "HMA − vanilla"):
        assert f"| {label} |" in table
    assert "71.55 ± 3.53" in table and "profile quick" in table

    before = {f.name: f.read_text() for f in files}

    def boom(*a, **k):
        raise AssertionError("a finished run was started again")

    monkeypatch.setattr(run_module, "run_spec", boom)
    T4["main"](argv)
    assert {f.name: f.read_text() for f in sorted(out.glob("*.json"))} == before


def test_cli_errors_and_defaults(capsys):
    for argv, msg in ((["--datasets", "MUTAG"], "invalid choice: 'MUTAG'"),
                      (["--methods", "erm"], "invalid choice: 'erm'"),
                      (["--epochs", "0"], "--epochs must be >= 1")):
        with pytest.raises(SystemExit):
            T4["main"](argv)
        assert msg in capsys.readouterr().err
    args = T4["parse_args"](["--profile", "reduced"])
    assert args.datasets == ["IMDB-BINARY", "IMDB-MULTI", "REDDIT-BINARY"] and len(args.methods) == 10
    assert args.seeds == [1314 + 10000 * k for k in range(8)] and args.out.parts[-2:] == ("table4", "reduced")
    assert T4["parse_args"](["--epochs", "50"]).out.name == "paper-e50"
    with pytest.raises(SystemExit):
        T4["parse_args"](["--help"])
    help_text = capsys.readouterr().out
    assert "REDDIT-MULTI-12K" in help_text and "abd+syn" in help_text and "reduced" in help_text
