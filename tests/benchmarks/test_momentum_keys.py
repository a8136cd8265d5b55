"""benchmarks/momentum_keys.py: the similarity-structure statistic by hand, and a two-step smoke run."""
import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import torch

ROOT = Path(__file__).resolve().parents[2]
mk = SimpleNamespace(**runpy.run_path(str(ROOT / "benchmarks" / "momentum_keys.py")))  # its functions, not run


def test_similarity_structure_corr_invariances():
    torch.manual_seed(0)
    a = torch.randn(20, 8, dtype=torch.float64)
    q, _ = torch.linalg.qr(torch.randn(8, 8, dtype=torch.float64))
    # centred cosine similarities ignore rotations, positive scale and a shared offset
    assert abs(mk.similarity_structure_corr(a, 3.0 * a @ q + 5.0) - 1.0) < 1e-12
    # independent features share no structure (the all-ones diagonal is left out)
    b = torch.randn(20, 8, dtype=torch.float64)
    assert abs(mk.similarity_structure_corr(a, b)) < 0.15
    # by hand, 3 points in 2-d (already centred): cos(p0,p1) = -1, cos(p0,p2) = cos(p1,p2) = 0;
    # for r: cos(r0,r1) = 1, cos(r0,r2) = cos(r1,r2) = -1: a perfect anti-correlation
    p = torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]], dtype=torch.float64)
    r = torch.tensor([[1.0, 0.0], [1.0, 0.0], [-2.0, 0.0]], dtype=torch.float64)
    assert abs(mk.similarity_structure_corr(p, r) + 1.0) < 1e-12


def test_smoke_two_steps(mirror, tmp_path):
    out = tmp_path / "keys"
    mk.main(["--steps", "1", "2", "--out", str(out)])
    rec = json.loads(out.with_suffix(".json").read_text())
    rows = rec["rows"]
    assert [r["step"] for r in rows] == [1] * 4 + [2] * 4
    online = [r for r in rows if r["copy"] == "online, eval"]
    assert all(abs(r["similarity_corr"] - 1.0) < 1e-6 for r in online)
    assert "| 2 |" in out.with_suffix(".txt").read_text()
