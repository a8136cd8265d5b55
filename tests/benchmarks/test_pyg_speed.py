"""benchmarks/pyg_speed.py: without torch-geometric a clear error (CI); with it (optional, not in
requirements) a smoke run whose PyG model computes our model's function and whose record is complete."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = str(ROOT / "benchmarks" / "pyg_speed.py")
HAS_PYG = importlib.util.find_spec("torch_geometric") is not None


@pytest.mark.skipif(HAS_PYG, reason="torch-geometric is installed: the error path is not reachable")
def test_without_pyg_a_clear_error(tmp_path):
    out = tmp_path / "p.json"
    res = subprocess.run([sys.executable, SCRIPT, "--out", str(out)], capture_output=True, text=True, timeout=300,
                         cwd=ROOT)
    assert res.returncode != 0 and not out.exists()
    assert "torch_geometric cannot be imported" in res.stderr and "pip install torch-geometric==" in res.stderr
    assert subprocess.run([sys.executable, SCRIPT, "--help"], capture_output=True, timeout=300,
                          cwd=ROOT).returncode == 0  # --help works without PyG


@pytest.mark.skipif(not HAS_PYG, reason="torch-geometric is not installed (optional, for this benchmark only)")
def test_smoke_run_with_pyg(mirror, tmp_path):
    out = tmp_path / "p.json"
    cmd = [sys.executable, SCRIPT, "--graphs", "96", "--rounds", "2", "--width", "32", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(out.read_text())
    assert rec["same_function_max_abs_diff"] <= 1e-4
    assert len(rec["configs"]) == 4 and "(96 per epoch)" in rec["caption"]  # 3 full batches of 32
    for c, r in rec["configs"].items():
        assert len(r["train_epoch_s"]) == 2 and len(r["eval_epoch_s"]) == 2
        twin = rec["configs"][("ours" if c.startswith("PyG") else "PyG") + c[c.index(","):]]
        assert r["train_ratio_vs_other_framework"] == pytest.approx(
            r["train_graphs_per_s"] / twin["train_graphs_per_s"])
    assert "OGB GIN 5x32" in rec["caption"] and "median of 2 interleaved rounds" in rec["caption"]
