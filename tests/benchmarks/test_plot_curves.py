"""benchmarks/plot_curves.py: run selection by spec, clear errors, a PNG written from real-shaped records."""
import json
import runpy
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from hma_graph.experiments.registry import config_hash, resolve
from hma_graph.experiments.store import run_name

ROOT = Path(__file__).resolve().parents[2]
pc = SimpleNamespace(**runpy.run_path(str(ROOT / "benchmarks" / "plot_curves.py")))  # its functions, not run


def rec(dataset, variant, seed, valid, status="done"):
    """A record as the store writes it (spec, resolved config, identity), with a short history."""
    spec = {"dataset": dataset, "epochs": len(valid), "model": "gin", "seed": seed, "variant": variant}
    config = resolve("table3", "paper", spec)
    sel = max(range(len(valid)), key=lambda i: (valid[i], -i))
    test = [v - 0.05 for v in valid]
    return {"spec": spec, "config": config, "identity": config_hash(config),
            "name": f"{dataset}-{variant}-{seed}", "status": status, "metric": "rocauc",
            "selected_epoch": sel, "test": test[sel],
            "history": {"train_loss": [0.7 - 0.1 * i for i in range(len(valid))], "valid": valid, "test": test}}


@pytest.fixture
def folder(tmp_path):
    recs = [rec("ogbg-molbace", "plain", 0, [0.6, 0.7, 0.65]), rec("ogbg-molbace", "hma", 0, [0.5, 0.6, 0.8]),
            rec("ogbg-molbace", "hma", 1, [0.55, 0.75, 0.7]), rec("ogbg-molbbbp", "plain", 0, [0.6, 0.62, 0.61]),
            rec("ogbg-molbace", "plain", 1, [0.6, 0.7, 0.9], status="running")]  # unfinished: ignored
    for r in recs:  # the store's file name: <spec name>.<config hash>.json
        (tmp_path / f"{run_name(r['spec'])}.{r['identity']}.json").write_text(json.dumps(r))
    return tmp_path


def test_where_and_select(folder, capsys):
    assert pc.parse_where(["dataset=ogbg-molbace", "seed=0"]) == {"dataset": "ogbg-molbace", "seed": "0"}
    with pytest.raises(ValueError, match="key=value"):
        pc.parse_where(["dataset"])
    recs = pc.load_records(folder)
    assert len(recs) == 4  # the unfinished record is not a result
    err = capsys.readouterr().err  # ... and is named on stderr
    assert "status is 'running'" in err and "dataset=ogbg-molbace__epochs=3__model=gin__seed=1__variant=plain" in err
    names = sorted(r["name"] for r in pc.select(recs, {"dataset": "ogbg-molbace"}))
    assert names == ["ogbg-molbace-hma-0", "ogbg-molbace-hma-1", "ogbg-molbace-plain-0"]
    assert [r["name"] for r in pc.select(recs, {"dataset": "ogbg-molbace", "seed": "1"})] == ["ogbg-molbace-hma-1"]
    assert pc.select(recs, {"nokey": "x"}) == []


def test_png_and_errors(folder, tmp_path):
    out = pc.main([str(folder), "--where", "dataset=ogbg-molbace", "--out", str(tmp_path / "c.png")])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    with pytest.raises(SystemExit, match="no finished record.*dataset"):
        pc.main([str(folder), "--where", "dataset=ogbg-molhiv"])
    with pytest.raises(SystemExit, match="'optimizer' is not a spec key"):
        pc.main([str(folder), "--color", "optimizer"])
    with pytest.raises(SystemExit, match="no records folder"):
        pc.main([str(folder / "absent")])


def test_committed_records(tmp_path):
    """The CLI on a migrated records folder (the command of the README's curves_bace_gin.png, to /tmp)."""
    out = tmp_path / "bace_gin.png"
    cmd = [sys.executable, "benchmarks/plot_curves.py", "benchmarks/results/table3/paper",
           "--where", "dataset=ogbg-molbace", "model=gin", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    assert f"wrote {out}" in res.stdout and out.read_bytes()[:4] == b"\x89PNG"
