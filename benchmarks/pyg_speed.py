"""Throughput of our OGB GIN (DGL) against the same model written in PyTorch Geometric, in one run.

    pip install torch-geometric==2.8.1 torch==2.13.0    # only for this benchmark; pin torch
    python benchmarks/pyg_speed.py --threads 1          # ~2-3 minutes on 2 cores

Model (both sides, OGB's mol example GIN; docs/PROTOCOLS.md, section A): AtomEncoder; per layer a BondEncoder
and a GIN layer  h_i' = MLP((1 + eps) h_i + sum_{j -> i} ReLU(h_j + e_ji)),
MLP = Linear(d, 2d)-BN-ReLU-Linear(2d, d), eps learnable (init 0); then BatchNorm, ReLU (not after
the last layer), dropout 0.5; JK last, mean pooling, Linear(d, 1). 5 layers, d = 300.
Ours: ``hma_graph.models.ogb_mol.OGBMolGNN`` (``dgl.batch``, parameters in ``dgl.nn.GINEConv``, the
neighbour sum by ``index_select``/``index_add_``, bit-identical to ``GINEConv.forward``). PyG: written below with
``torch_geometric.nn.MessagePassing(aggr="add")`` and ``global_mean_pool`` (recent PyG needs no
torch_scatter/torch_sparse). The PyG model is loaded with our model's weights and the two forward
passes (eval mode) are compared on one batch, so both sides compute the same function.

Dropout: ours uses ``hma_graph.nn.Dropout`` (mask drawn with ``torch.rand``; ``F.dropout`` is several
times slower on CPU with torch 2.13, docs/ENVIRONMENT.md). Four configurations are timed, so the
framework comparison is made at equal dropout: ours / PyG, each with ``hma_graph`` dropout and with
``torch.nn.functional.dropout``.

Workload: ogbg-molbace's 1210 training graphs (data through ``HMA_GRAPH_MIRROR``), batch 32, Adam
1e-3, BCE with logits. A training epoch = collate each batch (``dgl.batch`` / PyG
``Batch.from_data_list``) + forward + backward + step; an evaluation epoch = collate + forward in
eval mode under ``no_grad``. Rounds are interleaved (round r runs one train and one eval epoch of
every configuration, order rotated by r; all configurations see the same batch order in a round),
after one warm-up epoch each; the median epoch time per configuration is reported as graphs/s.
"""
from __future__ import annotations

import argparse
import statistics
from functools import partial
from pathlib import Path

import hma_graph  # noqa: F401,I001  (its DGL shim must run before dgl and ogb are imported)
import dgl
import torch
import torch.nn.functional as F
from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder
from torch import nn

from hma_graph._atomic import write_json_atomic
from hma_graph.experiments.machine import machine
from hma_graph.experiments.report import markdown_table
from hma_graph.experiments.timing import interleaved_rounds
from hma_graph.data.molecules import load_molecule_dataset
from hma_graph.models.ogb_mol import OGBMolGNN
from hma_graph.nn.dropout import dropout as hma_dropout

RESULTS = Path(__file__).resolve().parent / "results"
try:
    import torch_geometric
    from torch_geometric.data import Batch, Data
    from torch_geometric.nn import MessagePassing, global_mean_pool
    PYG_ERROR = None
except Exception as e:  # noqa: BLE001  why PyG is unusable here, reported by main() (after --help)
    PYG_ERROR = (f"error: torch_geometric cannot be imported with torch {torch.__version__}: {type(e).__name__}: "
                 f"{e}\n(install: pip install torch-geometric==2.8.1 torch=={torch.__version__.split('+')[0]})")
    MessagePassing = nn.Module  # lets the classes below be defined; main() exits before using them

CONFIGS = ("ours, hma_graph dropout", "ours, torch dropout", "PyG, hma_graph dropout", "PyG, torch dropout")


class PygGINConv(MessagePassing):
    """OGB's GINConv in PyG: out = MLP((1 + eps) x + sum_j ReLU(x_j + BondEncoder(e_ji)))."""

    def __init__(self, emb_dim: int):
        super().__init__(aggr="add")
        self.mlp = nn.Sequential(nn.Linear(emb_dim, 2 * emb_dim), nn.BatchNorm1d(2 * emb_dim), nn.ReLU(),
                                 nn.Linear(2 * emb_dim, emb_dim))
        self.eps = nn.Parameter(torch.zeros(1))
        self.bond_encoder = BondEncoder(emb_dim)

    def forward(self, x, edge_index, edge_attr):
        return self.mlp((1 + self.eps) * x + self.propagate(edge_index, x=x, edge_attr=self.bond_encoder(edge_attr)))

    def message(self, x_j, edge_attr):
        return F.relu(x_j + edge_attr)


class PygGIN(nn.Module):
    """OGB mol-example GIN (JK last, mean pool, linear head) in PyG. ``forward(batch) -> (B, tasks)``."""

    def __init__(self, num_tasks=1, num_layers=5, emb_dim=300, drop_ratio=0.5, dropout_impl="torch"):
        super().__init__()
        if dropout_impl not in ("torch", "hma_graph"):
            raise ValueError(f"dropout_impl must be 'torch' or 'hma_graph', got {dropout_impl!r}")
        self.num_layers, self.drop_ratio, self.dropout_impl = num_layers, drop_ratio, dropout_impl
        self._dropout = F.dropout if dropout_impl == "torch" else hma_dropout
        self.atom_encoder = AtomEncoder(emb_dim)
        self.convs = nn.ModuleList(PygGINConv(emb_dim) for _ in range(num_layers))
        self.batch_norms = nn.ModuleList(nn.BatchNorm1d(emb_dim) for _ in range(num_layers))
        self.graph_pred_linear = nn.Linear(emb_dim, num_tasks)

    def forward(self, data):
        h = self.atom_encoder(data.x)
        for layer in range(self.num_layers):
            h = self.batch_norms[layer](self.convs[layer](h, data.edge_index, data.edge_attr))
            if layer < self.num_layers - 1:
                h = F.relu(h)
            h = self._dropout(h, self.drop_ratio, self.training)
        return self.graph_pred_linear(global_mean_pool(h, data.batch))


def load_from_ours(pyg: PygGIN, ours: OGBMolGNN) -> None:
    """Copy our model's weights into the PyG model (same architecture, other module names)."""
    src, state = ours.state_dict(), {}
    for k, v in pyg.state_dict().items():
        ours_key = k
        if k.startswith("convs."):  # convs.i.{eps, mlp.*, bond_encoder.*} -> our GINEConv names
            _, i, rest = k.split(".", 2)
            rest = "conv.eps" if rest == "eps" else "conv.apply_func." + rest[4:] if rest.startswith("mlp.") else rest
            ours_key = f"convs.{i}.{rest}"
        state[k] = src[ours_key].reshape(v.shape)
    pyg.load_state_dict(state)


class Bench:
    """One configuration: model, optimiser, and how it collates and calls a batch of graph indices."""

    def __init__(self, name, args, graphs, datas, labels):
        self.pyg, self.graphs, self.datas, self.labels = name.startswith("PyG"), graphs, datas, labels
        torch.manual_seed(0)
        self.model = ours = OGBMolGNN(1, args.layers, args.width, "gin", drop_ratio=0.5)
        if self.pyg:
            self.model = PygGIN(1, args.layers, args.width, 0.5, "hma_graph" if "hma_graph" in name else "torch")
            load_from_ours(self.model, ours)
        elif "torch dropout" in name:
            ours.dropout = nn.Dropout(0.5)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def forward(self, idx):
        """Collate the graphs ``idx`` (``Batch.from_data_list`` / ``dgl.batch``) and run the model."""
        if self.pyg:
            return self.model(Batch.from_data_list([self.datas[i] for i in idx]))
        g = dgl.batch([self.graphs[i] for i in idx])
        return self.model(g, g.ndata["feat"], g.edata["feat"])

    def train_epoch(self, batches):
        self.model.train()
        for idx in batches:
            loss = F.binary_cross_entropy_with_logits(self.forward(idx), self.labels[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()

    @torch.no_grad()
    def eval_epoch(self, batches):
        self.model.eval()
        for idx in batches:
            self.forward(idx)


def check_same_function(args, graphs, datas, labels) -> float:
    """Max |logit difference| between ours and the PyG model with our weights, eval mode, 64 graphs.

    eps and the batch-norm running statistics are set to random values first, so that every part
    of the layer (not only the freshly initialised identity-like state) is compared.
    """
    ours = Bench("ours, hma_graph dropout", args, graphs, datas, labels)
    with torch.no_grad():
        for name, t in ours.model.state_dict().items():
            if name.endswith("eps"):
                t.uniform_(-0.5, 0.5)
            elif name.endswith("running_mean"):
                t.normal_(0.0, 0.1)
            elif name.endswith("running_var"):
                t.uniform_(0.5, 1.5)
        pyg = Bench("PyG, torch dropout", args, graphs, datas, labels)
        load_from_ours(pyg.model, ours.model)
        ours.model.eval(), pyg.model.eval()
        idx = range(min(64, len(graphs)))
        return float((ours.forward(idx) - pyg.forward(idx)).abs().max())


def timed_rounds(benches: dict, n_graphs: int, args):
    """Per config, train and eval epoch times over interleaved rounds (one batch order per round),
    after a warm-up; returns the results per config and the number of graphs used per epoch."""
    gen = torch.Generator().manual_seed(0)

    def batches():  # a fresh order; a last batch of one graph is dropped (batch norm needs > 1)
        return [b.tolist() for b in torch.randperm(n_graphs, generator=gen).split(args.batch_size) if len(b) > 1]

    for b in benches.values():  # warm-up: allocator, Adam state, PyG's generated propagate code
        bs = batches()
        b.train_epoch(bs[:5])
        b.eval_epoch(bs[:5])

    def phases(r):  # one fresh batch order per round, shared by every config
        bs = batches()
        return {c: {"train": partial(benches[c].train_epoch, bs), "eval": partial(benches[c].eval_epoch, bs)}
                for c in CONFIGS}

    t = interleaved_rounds(CONFIGS, args.rounds, phases)
    res = {c: {f"{k}_epoch_s": t[c][k] for k in ("train", "eval")} for c in CONFIGS}
    n_used = sum(len(x) for x in batches())
    for r in res.values():
        r.update({f"{k}_graphs_per_s": n_used / statistics.median(r[f"{k}_epoch_s"]) for k in ("train", "eval")})
    return res, n_used


def report(res: dict, n_used: int, args) -> dict:
    """Adds each config's ratio against its twin in the other framework to ``res``; returns the
    table, its caption, the headline (PyG as usually written vs ours as shipped) and the versions."""
    rows = []
    for c in CONFIGS:
        r, twin = res[c], res[("ours" if c.startswith("PyG") else "PyG") + c[c.index(","):]]
        for k in ("train", "eval"):
            r[f"{k}_ratio_vs_other_framework"] = r[f"{k}_graphs_per_s"] / twin[f"{k}_graphs_per_s"]
        rows.append([c, f"{r['train_graphs_per_s']:.0f}", f"{r['train_ratio_vs_other_framework']:.2f}x",
                     f"{r['eval_graphs_per_s']:.0f}", f"{r['eval_ratio_vs_other_framework']:.2f}x",
                     " / ".join(f"{t:.2f}" for t in r["train_epoch_s"])])
    table = markdown_table(["config", "train graphs/s", "vs other framework, same dropout",
                            "eval graphs/s", "vs other framework, same dropout", "train epoch s (rounds)"], rows)
    versions = {"torch": torch.__version__, "dgl": dgl.__version__, "torch_geometric": torch_geometric.__version__}
    caption = (f"OGB GIN {args.layers}x{args.width}, dropout 0.5, batch {args.batch_size}, ogbg-molbace "
               f"training graphs ({n_used} per epoch), {torch.get_num_threads()} thread(s), median of "
               f"{args.rounds} interleaved rounds; collation included; "
               + ", ".join(f"{k} {v}" for k, v in versions.items()))
    ours, pyg = res["ours, hma_graph dropout"], res["PyG, torch dropout"]
    headline = (f"PyG as usually written (torch dropout) vs ours as shipped (hma_graph dropout): "
                f"train {pyg['train_graphs_per_s'] / ours['train_graphs_per_s']:.2f}x, "
                f"eval {pyg['eval_graphs_per_s'] / ours['eval_graphs_per_s']:.2f}x (PyG / ours)")
    return {"table": table, "caption": caption, "headline": headline, "versions": versions}


def main(argv=None):
    ap = argparse.ArgumentParser(prog="benchmarks/pyg_speed.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    for flag, default in (("--rounds", 3), ("--batch-size", 32), ("--layers", 5), ("--width", 300)):
        ap.add_argument(flag, type=int, default=default)
    ap.add_argument("--graphs", type=int, help="use only the first N training graphs (smoke runs)")
    ap.add_argument("--out", type=Path, default=RESULTS / "pyg_speed.json")
    args = ap.parse_args(argv)
    if PYG_ERROR:
        raise SystemExit(PYG_ERROR)
    torch.set_num_threads(args.threads)
    ds, split = load_molecule_dataset("ogbg-molbace")
    idx = split["train"][:args.graphs] if args.graphs else split["train"]
    graphs = [ds.graphs[i] for i in idx.tolist()]
    labels = ds.labels[idx].to(torch.float32)
    datas = [Data(x=g.ndata["feat"], edge_index=torch.stack(g.edges()).long(), edge_attr=g.edata["feat"])
             for g in graphs]  # the same molecules as PyG Data (labels indexed separately, as for DGL)

    max_diff = check_same_function(args, graphs, datas, labels)
    print(f"same function: max |logit ours - PyG| with shared weights (eval, 64 graphs) = {max_diff:.2e}")
    if max_diff > 1e-4:
        raise SystemExit("error: the PyG model does not compute the same function as ours")

    res, n_used = timed_rounds({c: Bench(c, args, graphs, datas, labels) for c in CONFIGS}, len(graphs), args)
    record = report(res, n_used, args)
    print(f"\n{record['caption']}\n\n{record['table']}\n\n{record['headline']}\n")
    write_json_atomic(args.out, {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()},
                                 "versions": record["versions"], "same_function_max_abs_diff": max_diff,
                                 "configs": res, "table": record["table"], "caption": record["caption"],
                                 "headline": record["headline"]})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
