"""Check and time the torch-only parts on every available device (CPU always, CUDA when present).

    python benchmarks/gpu_check.py                      # tests, then the timing table
    python benchmarks/gpu_check.py --sizes 32 512 --rounds 5 --out /tmp/gpu_check.json

1. Runs the device-parametrised tests of the parts that need no DGL (the HMA layer, its attention
   block, the queue, the metrics: tests/nn/test_devices.py, tests/nn/test_attention.py,
   tests/test_metrics.py) with pytest; on a machine with CUDA they run on both devices.
2. Times, per device and batch size B: a training forward + backward of the HMA layer on pooled
   embeddings (d_f = 300, 2 classes, m1 = 96, m2 = 32, the Table 3 setting) and ROC-AUC and MCC of
   B predictions (median of --rounds rounds after a warm-up; CUDA synchronised around each).
Prints a markdown table and writes the numbers with the machine's facts to --out
(default benchmarks/results/gpu_check.json).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from hma_graph._atomic import write_json_atomic
from hma_graph.experiments.machine import machine
from hma_graph.experiments.report import markdown_table
from hma_graph.metrics import compute_metric
from hma_graph.nn.hma import HMA

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["tests/nn/test_devices.py", "tests/nn/test_attention.py", "tests/test_metrics.py"]


def _timed(fn, device, rounds: int) -> float:
    fn()  # warm-up
    out = []
    for _ in range(rounds):
        if device.type == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize()
        out.append(time.perf_counter() - t0)
    return statistics.median(out)


def time_device(device: torch.device, sizes, rounds: int) -> list:
    torch.manual_seed(0)
    layer = HMA(300, 1, label_dim=16, memory_size=96, slots_per_class=32).to(device).train()
    rows = []
    for b in sizes:
        h = torch.randn(b, 300, device=device, requires_grad=True)
        y = torch.randint(0, 2, (b,), device=device).float()

        def step():
            layer.zero_grad(set_to_none=True)
            layer(h, labels=y).sum().backward()

        scores, labels = torch.randn(b, 1, device=device), torch.randint(0, 2, (b, 1), device=device).float()
        logits, classes = torch.randn(b, 3, device=device), torch.randint(0, 3, (b,), device=device)
        rows.append({"device": device.type, "batch": b, "hma_fwd_bwd_ms": 1e3 * _timed(step, device, rounds),
                     "rocauc_ms": 1e3 * _timed(lambda: compute_metric("rocauc", scores, labels), device, rounds),
                     "mcc_ms": 1e3 * _timed(lambda: compute_metric("mcc", logits, classes), device, rounds)})
    return rows


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(prog="benchmarks/gpu_check.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[32, 128, 512, 2048], help="batch sizes")
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--skip-tests", action="store_true", help="only the timing")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "gpu_check.json")
    args = ap.parse_args(argv)
    tests = None
    if not args.skip_tests:
        tests = subprocess.run([sys.executable, "-m", "pytest", "-q", *TESTS], cwd=ROOT).returncode
        print(f"device tests: {'passed' if tests == 0 else 'FAILED'}")
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    rows = [r for d in devices for r in time_device(d, args.sizes, args.rounds)]
    print(markdown_table(["device", "batch", "HMA fwd+bwd (ms)", "ROC-AUC (ms)", "MCC (ms)"],
                         [[r["device"], r["batch"], f"{r['hma_fwd_bwd_ms']:.2f}", f"{r['rocauc_ms']:.2f}",
                           f"{r['mcc_ms']:.2f}"] for r in rows]))
    if not torch.cuda.is_available():
        print("no CUDA device here: only the CPU was checked")
    result = {"machine": machine(), "tests_returncode": tests, "rows": rows}
    write_json_atomic(args.out, result)
    return result


if __name__ == "__main__":
    main()
