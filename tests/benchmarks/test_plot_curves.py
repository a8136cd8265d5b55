"""benchmarks/plot_curves.py: run selection by spec, clear errors, a PNG written from real-shaped records."""
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
import benchmarks.plot_curves as pc  # noqa: E402


def rec(dataset, variant, seed, valid, status="done"):
    spec = {"dataset": dataset, "epochs": len(valid), "model": "gin", "seed": seed, "variant": variant}
    sel = max(range(len(valid)), key=lambda i: (valid[i], -i))
    test = [v - 0.05 for v in valid]
    return {"spec": spec, "name": f"{dataset}-{variant}-{seed}", "status": status, "metric": "rocauc",
            "selected_epoch": sel, "test": test[sel],
            "history": {"train_loss": [0.7 - 0.1 * i for i in range(len(valid))], "valid": valid, "test": test}}


@pytest.fixture
def folder(tmp_path):
    recs = [rec("ogbg-molbace", "plain", 0, [0.6, 0.7, 0.65]), rec("ogbg-molbace", "hma", 0, [0.5, 0.6, 0.8]),
            rec("ogbg-molbace", "hma", 1, [0.55, 0.75, 0.7]), rec("ogbg-molbbbp", "plain", 0, [0.6, 0.62, 0.61]),
            rec("ogbg-molbace", "plain", 1, [0.6, 0.7, 0.9], status="running")]  # unfinished: ignored
    for r in recs:
        (tmp_path / f"{r['name']}.json").write_text(json.dumps(r))
    return tmp_path


def test_where_and_select(folder):
    assert pc.parse_where(["dataset=ogbg-molbace", "seed=0"]) == {"dataset": "ogbg-molbace", "seed": "0"}
    with pytest.raises(ValueError, match="key=value"):
        pc.parse_where(["dataset"])
    recs = pc.load_records(folder)
    assert len(recs) == 4  # the unfinished record is not a result
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
