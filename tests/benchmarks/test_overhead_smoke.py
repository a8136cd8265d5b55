"""Smoke run of benchmarks/overhead.py: the script runs end to end and writes its record."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_overhead_script_runs(tmp_path):
    out = tmp_path / "overhead.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "overhead.py"), "--quick", "--graphs", "64",
           "--rounds", "1", "--configs", "backbone", "hma", "param", "hma (authors block)", "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads(out.read_text())
    assert set(rec["configs"]) == {"backbone", "hma", "param", "hma (authors block)"}
    assert rec["configs"]["backbone"]["train_ratio"] == 1.0
    assert rec["configs"]["param"]["params"] == rec["configs"]["hma"]["params"]
    assert rec["configs"]["hma (authors block)"]["params"] == rec["configs"]["hma"]["params"]  # fc_res for W_o
    assert "| hma |" in res.stdout
    assert rec["caption"].startswith("OGB GIN 5x64, 64 molecule-like graphs")  # --graphs wins over --quick
