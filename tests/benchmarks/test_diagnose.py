"""benchmarks/diagnose.py: overrides reach the resolved config of the record; bad overrides fail by name."""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def diagnose(*args):
    return subprocess.run([sys.executable, "benchmarks/diagnose.py", *map(str, args)], capture_output=True,
                          text=True, timeout=600, cwd=ROOT)


def test_tiny_run_records_its_overrides(mirror, tmp_path):
    # OGB's GIN needs >= 2 layers: the smallest model is 2 x 8
    res = diagnose("tiny", "--variant", "hma", "--epochs", 1, "--layers", 2, "--width", 8, "--hma-lr", 1e-4,
                   "--clip", 1, "--apply", "attn_scale=full", "dropout=0", "--out", tmp_path)
    assert res.returncode == 0, res.stderr[-2000:]
    rec = json.loads((tmp_path / "tiny.json").read_text())
    cfg = rec["config"]
    assert cfg["benchmark"] == "table3" and cfg["profile"] == "paper" and cfg["dataset"] == "ogbg-molbace"
    assert rec["spec"] == {"dataset": "ogbg-molbace", "epochs": 1, "model": "gin", "variant": "hma", "seed": 0}
    assert cfg["model"]["num_layers"] == 2 and cfg["model"]["emb_dim"] == 8
    assert cfg["train"]["clip_grad_norm"] == 1.0 and cfg["train"]["hma_lr"] == 1e-4
    assert cfg["train"]["epochs"] == 1 and cfg["train"]["lr"] == 1e-3  # the backbone keeps the profile's lr
    assert cfg["hma"]["attn_scale"] == "full" and cfg["hma"]["dropout"] == 0
    assert cfg["hma"]["label_dim"] == 16 and cfg["hma"]["memory_size"] == 96  # the rest is the paper profile
    assert len(rec["history"]["train_loss"]) == 1 and rec["machine"]["threads"] == 1
    # the summary line diag.py printed (last; building the data set prints before it)
    line = res.stdout.strip().splitlines()[-1]
    assert line.startswith(f"tiny loss [{round(rec['history']['train_loss'][0], 4)}] valid ")
    assert f" sel 0 test {round(rec['test'], 3)} wall " in line


def test_bad_overrides_fail_by_name(tmp_path):
    res = diagnose("bad", "--epochs", 1, "--apply", "attn_scale=full", "no_such_option=1", "--out", tmp_path)
    assert res.returncode != 0 and "hma.no_such_option" in res.stderr
    res = diagnose("bad", "--epochs", 1, "--apply", "attn_scale", "--out", tmp_path)
    assert res.returncode != 0 and "KEY=VALUE" in res.stderr
    res = diagnose("bad", "--epochs", 1, "--variant", "plain", "--hma-lr", 1e-4, "--out", tmp_path)
    assert res.returncode != 0 and "HMA variant" in res.stderr
    assert not list(tmp_path.iterdir())  # nothing trained, nothing written
