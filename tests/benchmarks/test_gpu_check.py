"""benchmarks/gpu_check.py on this machine (its CUDA branch runs only where CUDA is present)."""
import json
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_check_times_every_available_device(tmp_path):
    out = tmp_path / "g.json"
    subprocess.run([sys.executable, "benchmarks/gpu_check.py", "--skip-tests", "--sizes", "8", "16", "--rounds", "2",
                    "--out", str(out)], cwd=ROOT, check=True, capture_output=True)
    rows = json.loads(out.read_text())["rows"]
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    assert [(r["device"], r["batch"]) for r in rows] == [(d, b) for d in devices for b in (8, 16)]
    assert all(r["hma_fwd_bwd_ms"] > 0 and r["rocauc_ms"] > 0 and r["mcc_ms"] > 0 for r in rows)
