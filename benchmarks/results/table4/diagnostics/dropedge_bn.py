r"""Why is DropEdge far below vanilla on REDDIT-BINARY (Table 4, reduced)?

    HMA_GRAPH_MIRROR=... python benchmarks/results/table4/diagnostics/dropedge_bn.py \
        [--epochs 50] [--seeds 1314] [--method dropedge|vanilla] [--lr-every 25]

The hypothesis tested (refuted; the results and the cause found instead are in README.md): a
train/eval shift in the inputs of the BatchNorm layers. GIN sums over neighbours; with DropEdge (p =
0.2) every sum in training runs over ~80% of the edges, so the running means and variances BatchNorm
keeps for evaluation describe sparser graphs than the full ones it is evaluated on. REDDIT-BINARY's
hubs (hundreds to thousands of neighbours) make the shift large in absolute terms; IMDB's small
dense graphs barely show it.

Each run is the Table 4 "reduced" DropEdge run of REDDIT-BINARY (optionally truncated to
``--epochs``; lr halved every ``--lr-every`` epochs, 25 as in the profile), and at the selected
epoch's weights it also measures:

* ``*_bn_recal``: the same weights with every BatchNorm's running statistics re-estimated (exact
  average) on the unperturbed training graphs, then evaluated as usual;
* ``valid_dropped``: validation accuracy with DropEdge (p = 0.2) applied to the validation graphs
  too, mean over 3 draws (training's input distribution at evaluation);
* ``train_clean`` / ``train_dropped``: training-set accuracy without / with DropEdge.

If the shift is the cause, ``valid_bn_recal`` and ``valid_dropped`` are well above ``valid``. One
JSON per (method, seed, epochs) in this folder, with the per-epoch training loss and validation
accuracy. ``--method vanilla`` makes the same measurements on the unaugmented run (the control). 1
torch thread.
"""
import argparse
import copy
from pathlib import Path

import torch

from hma_graph._atomic import write_json_atomic
from hma_graph.augment.structure import drop_edges
from hma_graph.data.loader import GraphLoader
from hma_graph.experiments.registry import resolve
from hma_graph.experiments.run import model_inputs, run_spec
from hma_graph.metrics import compute_metric
from hma_graph.train import predict

OUT = Path(__file__).resolve().parent


def _accuracy(model, loader, inputs) -> float:
    logits, y = predict(model, loader, inputs)
    return float(compute_metric("accuracy", logits, y))


def _recalibrated(model, loader, inputs):
    """A copy of ``model`` whose BatchNorm running statistics are the exact averages over ``loader``."""
    m = copy.deepcopy(model)
    norms = [mod for mod in m.modules() if isinstance(mod, torch.nn.modules.batchnorm._BatchNorm)]
    for bn in norms:
        bn.reset_running_stats()
        bn.momentum = None  # cumulative moving average: exact mean over the batches seen
    m.train()
    with torch.no_grad():
        for g, _ in loader:
            m(*inputs(g))
    return m.eval()


def _dropped(loader, seed: int) -> GraphLoader:
    """``loader``'s graphs with DropEdge p = 0.2 applied once (a fixed draw per ``seed``)."""
    gen = torch.Generator().manual_seed(seed)
    graphs = [drop_edges(loader.graphs[int(i)], 0.2, gen) for i in loader.indices]
    return GraphLoader(graphs, loader.labels[loader.indices], loader.batch_size)


def diagnostics(config):
    inputs = model_inputs(config)

    def measure(model, loaders):
        tr = loaders["train"]
        clean = GraphLoader(tr.graphs, tr.labels, tr.batch_size, indices=tr.indices)
        recal = _recalibrated(model, clean, inputs)
        return {"valid_bn_recal": _accuracy(recal, loaders["valid"], inputs),
                "test_bn_recal": _accuracy(recal, loaders["test"], inputs),
                "valid_dropped": sum(_accuracy(model, _dropped(loaders["valid"], s), inputs) for s in range(3)) / 3,
                "train_clean": _accuracy(model, clean, inputs),
                "train_dropped": _accuracy(model, _dropped(clean, 0), inputs)}
    return {"diagnostics": measure}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1314])
    ap.add_argument("--method", choices=("dropedge", "vanilla"), default="dropedge",
                    help="vanilla: the same measurements on the unaugmented run, as a control")
    ap.add_argument("--lr-every", type=int, default=25,
                    help="halve the lr every this many epochs (the reduced profile: 25; the paper's: 100)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    for seed in args.seeds:
        tag = "" if args.lr_every == 25 else f"_lr{args.lr_every}"
        path = OUT / f"reddit-b_{args.method}_bn_{seed}_e{args.epochs}{tag}.json"
        if path.exists():
            continue
        cfg = resolve("table4", "reduced", {"dataset": "REDDIT-BINARY", "method": args.method, "seed": seed},
                      overrides={"train": {"epochs": args.epochs, "lr_step": [args.lr_every, 0.5]}})
        rec = run_spec(cfg, extra_eval=diagnostics(cfg))
        out = {"seed": seed, "epochs": args.epochs, "lr_every": args.lr_every, "valid": rec["valid"],
               "test": rec["test"], "selected_epoch": rec["selected_epoch"], "wall_s": rec["wall_s"],
               **rec["extra"]["diagnostics"],
               "curve": {k: rec["history"][k] for k in ("train_loss", "valid")}, "config": cfg}
        write_json_atomic(path, out)
        print({k: v for k, v in out.items() if k not in ("config", "curve")}, flush=True)


if __name__ == "__main__":
    main()
