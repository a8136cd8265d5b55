"""benchmarks/figures.py end to end at one epoch: both PNGs and the numbers behind them."""
import json
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_figures_smoke(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "figures.py"), "--epochs", "1", "--out", str(tmp_path)],
                   check=True, cwd=ROOT, capture_output=True)
    assert (tmp_path / "slots_tsne.png").stat().st_size > 0 and (tmp_path / "attention.png").stat().st_size > 0
    tables = json.loads((tmp_path / "figures.json").read_text())["attention_by_class"]
    for part in ("memory", "slots"):
        assert len(tables[part]) == 3
        for row in tables[part]:              # self + the three classes: all the attention there is
            assert abs(sum(row) - 1.0) < 1e-5


def test_attention_by_class_by_hand():
    import torch

    fig = runpy.run_path(str(ROOT / "benchmarks" / "figures.py"))
    maps = {"slots": torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.25, 0.25]]),
            "slot_labels": torch.tensor([0, 1, 1])}
    table = fig["attention_by_class"](maps, torch.tensor([1, 0]), 2)["slots"]
    # class-0 graph (row 2): self 0.1, class-0 slot 0.2, class-1 slots 0.3 + 0.4
    assert torch.allclose(torch.tensor(table), torch.tensor([[0.5, 0.0, 0.5], [0.1, 0.2, 0.7]]))
