"""Throughput of our OGB GIN (DGL) against the same model written in PyTorch Geometric, in one run.

    pip install torch-geometric==2.8.1 torch==2.13.0    # only for this benchmark; pin torch
    python benchmarks/pyg_speed.py --threads 1          # ~2-3 minutes on 2 cores

Model (both sides, OGB's mol example GIN; PROTOCOLS.md A): AtomEncoder; per layer a BondEncoder
and a GIN layer  h_i' = MLP((1 + eps) h_i + sum_{j -> i} ReLU(h_j + e_ji)),
MLP = Linear(d, 2d)-BN-ReLU-Linear(2d, d), eps learnable (init 0); then BatchNorm, ReLU (not after
the last layer), dropout 0.5; JK last, mean pooling, Linear(d, 1). 5 layers, d = 300.
Ours: ``hma_graph.models.ogb_mol.OGBMolGNN`` (``dgl.batch``, parameters in ``dgl.nn.GINEConv``, the
neighbour sum by ``index_select``/``index_add_``, bit-identical to ``GINEConv.forward``). PyG: written below with
``torch_geometric.nn.MessagePassing(aggr="add")`` and ``global_mean_pool`` (recent PyG needs no
torch_scatter/torch_sparse). The PyG model is loaded with our model's weights and the two forward
passes (eval mode) are compared on one batch, so both sides compute the same function.

Dropout: ours uses ``hma_graph.nn.Dropout`` (mask drawn with ``torch.rand``; ``F.dropout`` is several
times slower on CPU with torch 2.13, ENVIRONMENT.md). Four configurations are timed, so the
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
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hma_graph  # noqa: E402  (DGL shim first)
import dgl  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from tqdm import tqdm  # noqa: E402

from benchmarks.common import RESULTS, machine, markdown_table, write_json_atomic  # noqa: E402
from hma_graph.models.ogb_mol import OGBMolGNN  # noqa: E402
from hma_graph.nn.dropout import dropout as hma_dropout  # noqa: E402
from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder  # noqa: E402

try:
    import torch_geometric
    from torch_geometric.data import Batch, Data
    from torch_geometric.nn import MessagePassing, global_mean_pool
except Exception as e:  # noqa: BLE001  report exactly why PyG is unusable here
    raise SystemExit(f"error: torch_geometric cannot be imported with torch {torch.__version__}: "
                     f"{type(e).__name__}: {e}\n(install: pip install torch-geometric==2.8.1 "
                     f"torch=={torch.__version__.split('+')[0]})")

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
        e = self.bond_encoder(edge_attr)
        return self.mlp((1 + self.eps) * x + self.propagate(edge_index, x=x, edge_attr=e))

    def message(self, x_j, edge_attr):
        return F.relu(x_j + edge_attr)


class PygGIN(nn.Module):
    """OGB mol-example GIN (JK last, mean pool, linear head) in PyG. ``forward(batch) -> (B, tasks)``."""

    def __init__(self, num_tasks=1, num_layers=5, emb_dim=300, drop_ratio=0.5, dropout_impl="torch"):
        super().__init__()
        if dropout_impl not in ("torch", "hma_graph"):
            raise ValueError(f"dropout_impl must be 'torch' or 'hma_graph', got {dropout_impl!r}")
        self.num_layers, self.drop_ratio, self.dropout_impl = num_layers, drop_ratio, dropout_impl
        self.atom_encoder = AtomEncoder(emb_dim)
        self.convs = nn.ModuleList(PygGINConv(emb_dim) for _ in range(num_layers))
        self.batch_norms = nn.ModuleList(nn.BatchNorm1d(emb_dim) for _ in range(num_layers))
        self.graph_pred_linear = nn.Linear(emb_dim, num_tasks)

    def _dropout(self, h):
        if self.dropout_impl == "torch":
            return F.dropout(h, self.drop_ratio, self.training)
        return hma_dropout(h, self.drop_ratio, self.training)

    def forward(self, data):
        h = self.atom_encoder(data.x)
        for layer in range(self.num_layers):
            h = self.batch_norms[layer](self.convs[layer](h, data.edge_index, data.edge_attr))
            if layer < self.num_layers - 1:
                h = F.relu(h)
            h = self._dropout(h)
        return self.graph_pred_linear(global_mean_pool(h, data.batch))


def load_from_ours(pyg: PygGIN, ours: OGBMolGNN) -> None:
    """Copy our model's weights into the PyG model (same architecture, other module names)."""
    src = ours.state_dict()
    state = {}
    for k in pyg.state_dict():
        if k.startswith("convs."):
            i, rest = k.split(".", 2)[1:]
            ours_key = {"eps": f"convs.{i}.conv.eps"}.get(rest)
            if ours_key is None and rest.startswith("mlp."):
                ours_key = f"convs.{i}.conv.apply_func.{rest[4:]}"
            elif ours_key is None:
                ours_key = f"convs.{i}.{rest}"
        else:
            ours_key = k
        state[k] = src[ours_key].reshape(pyg.state_dict()[k].shape)
    pyg.load_state_dict(state)


def to_pyg(g) -> Data:
    """The same molecule as a PyG ``Data`` (labels are indexed separately, as on the DGL side)."""
    src, dst = g.edges()
    return Data(x=g.ndata["feat"], edge_index=torch.stack([src, dst]).long(), edge_attr=g.edata["feat"])


class Bench:
    """One configuration: model, optimiser, and how it collates and calls a batch."""

    def __init__(self, name, args, graphs, datas, labels):
        self.name, self.graphs, self.datas, self.labels = name, graphs, datas, labels
        self.pyg = name.startswith("PyG")
        torch.manual_seed(0)
        ours = OGBMolGNN(1, args.layers, args.width, "gin", drop_ratio=0.5)
        if self.pyg:
            self.model = PygGIN(1, args.layers, args.width, 0.5,
                                "hma_graph" if "hma_graph" in name else "torch")
            load_from_ours(self.model, ours)
        else:
            if "torch dropout" in name:
                ours.dropout = nn.Dropout(0.5)
            self.model = ours
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)

    def batch(self, idx):
        if self.pyg:
            return Batch.from_data_list([self.datas[i] for i in idx]), self.labels[idx]
        g = dgl.batch([self.graphs[i] for i in idx])
        return g, self.labels[idx]

    def forward(self, b):
        return self.model(b) if self.pyg else self.model(b, b.ndata["feat"], b.edata["feat"])

    def train_epoch(self, batches):
        self.model.train()
        for idx in batches:
            b, y = self.batch(idx)
            loss = F.binary_cross_entropy_with_logits(self.forward(b), y)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()

    @torch.no_grad()
    def eval_epoch(self, batches):
        self.model.eval()
        for idx in batches:
            self.forward(self.batch(idx)[0])


def check_same_function(args, graphs, datas) -> float:
    """Max |logit difference| between ours and the PyG model with our weights, eval mode, 64 graphs.

    eps and the batch-norm running statistics are set to random values first, so that every part
    of the layer (not only the freshly initialised identity-like state) is compared.
    """
    torch.manual_seed(0)
    ours = OGBMolGNN(1, args.layers, args.width, "gin", drop_ratio=0.5).eval()
    with torch.no_grad():
        for name, t in ours.state_dict().items():
            if name.endswith("eps"):
                t.uniform_(-0.5, 0.5)
            elif name.endswith("running_mean"):
                t.normal_(0.0, 0.1)
            elif name.endswith("running_var"):
                t.uniform_(0.5, 1.5)
    pyg = PygGIN(1, args.layers, args.width, 0.5).eval()
    load_from_ours(pyg, ours)
    with torch.no_grad():
        g = dgl.batch(graphs[:64])
        a = ours(g, g.ndata["feat"], g.edata["feat"])
        b = pyg(Batch.from_data_list(datas[:64]))
    return float((a - b).abs().max())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--layers", type=int, default=5)
    ap.add_argument("--width", type=int, default=300)
    ap.add_argument("--graphs", type=int, help="use only the first N training graphs (smoke runs)")
    ap.add_argument("--out", type=Path, default=RESULTS / "pyg_speed.json")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)

    from hma_graph.data.molecules import load_molecule_dataset

    ds, split = load_molecule_dataset("ogbg-molbace")
    idx = split["train"][:args.graphs] if args.graphs else split["train"]
    graphs = [ds.graphs[i] for i in idx.tolist()]
    labels = ds.labels[idx].to(torch.float32)
    datas = [to_pyg(g) for g in graphs]
    n = len(graphs)

    max_diff = check_same_function(args, graphs, datas)
    print(f"same function: max |logit ours - PyG| with shared weights (eval, 64 graphs) = {max_diff:.2e}")
    if max_diff > 1e-4:
        raise SystemExit("error: the PyG model does not compute the same function as ours")

    benches = {c: Bench(c, args, graphs, datas, labels) for c in CONFIGS}
    gen = torch.Generator().manual_seed(0)

    def batches():
        perm = torch.randperm(n, generator=gen)
        return [perm[i:i + args.batch_size].tolist() for i in range(0, n, args.batch_size)
                if len(perm[i:i + args.batch_size]) > 1]  # batch norm needs > 1 graph

    for b in benches.values():  # warm-up: allocator, Adam state, PyG's generated propagate code
        bs = batches()
        b.train_epoch(bs[:5])
        b.eval_epoch(bs[:5])
    train_t = {c: [] for c in CONFIGS}
    eval_t = {c: [] for c in CONFIGS}
    order = list(CONFIGS)
    for r in tqdm(range(args.rounds), desc="rounds"):
        bs = batches()
        for c in order[r % len(order):] + order[:r % len(order)]:
            t0 = time.perf_counter()
            benches[c].train_epoch(bs)
            train_t[c].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            benches[c].eval_epoch(bs)
            eval_t[c].append(time.perf_counter() - t0)

    n_used = sum(len(x) for x in batches())
    res = {c: {"train_epoch_s": train_t[c], "eval_epoch_s": eval_t[c],
               "train_graphs_per_s": n_used / statistics.median(train_t[c]),
               "eval_graphs_per_s": n_used / statistics.median(eval_t[c])} for c in CONFIGS}
    rows = []
    for c in CONFIGS:
        same = "ours" if c.startswith("PyG") else "PyG"
        twin = same + c[c.index(","):]
        r = res[c]
        r["train_ratio_vs_other_framework"] = r["train_graphs_per_s"] / res[twin]["train_graphs_per_s"]
        r["eval_ratio_vs_other_framework"] = r["eval_graphs_per_s"] / res[twin]["eval_graphs_per_s"]
        rows.append([c, f"{r['train_graphs_per_s']:.0f}", f"{r['train_ratio_vs_other_framework']:.2f}x",
                     f"{r['eval_graphs_per_s']:.0f}", f"{r['eval_ratio_vs_other_framework']:.2f}x",
                     " / ".join(f"{t:.2f}" for t in train_t[c])])
    table = markdown_table(["config", "train graphs/s", "vs other framework, same dropout",
                            "eval graphs/s", "vs other framework, same dropout", "train epoch s (rounds)"], rows)
    caption = (f"OGB GIN {args.layers}x{args.width}, dropout 0.5, batch {args.batch_size}, ogbg-molbace "
               f"training graphs ({n_used} per epoch), {torch.get_num_threads()} thread(s), median of "
               f"{args.rounds} interleaved rounds; collation included; torch {torch.__version__}, "
               f"dgl {dgl.__version__}, torch_geometric {torch_geometric.__version__}")
    ours, pyg = res["ours, hma_graph dropout"], res["PyG, torch dropout"]
    headline = (f"PyG as usually written (torch dropout) vs ours as shipped (hma_graph dropout): "
                f"train {pyg['train_graphs_per_s'] / ours['train_graphs_per_s']:.2f}x, "
                f"eval {pyg['eval_graphs_per_s'] / ours['eval_graphs_per_s']:.2f}x (PyG / ours)")
    print(f"\n{caption}\n\n{table}\n\n{headline}\n")
    write_json_atomic(args.out, {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()},
                                 "versions": {"torch": torch.__version__, "dgl": dgl.__version__,
                                              "torch_geometric": torch_geometric.__version__},
                                 "same_function_max_abs_diff": max_diff, "configs": res,
                                 "table": table, "caption": caption, "headline": headline})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
