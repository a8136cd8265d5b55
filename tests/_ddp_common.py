"""Model and data shared by the DDP test's worker processes and its single-process reference."""
import hma_graph  # first: the DGL shim
import dgl
import torch
from torch import nn


class Tiny(nn.Module):
    """Linear node encoder, mean readout, linear head: no batch norm, no dropout."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 8)
        self.head = nn.Linear(8, 3)

    def forward(self, g, x):
        with g.local_scope():
            g.ndata["h"] = torch.relu(self.lin(x))
            return self.head(dgl.mean_nodes(g, "h"))


def make_model():
    torch.manual_seed(0)
    return hma_graph.apply(Tiny(), 3, head="head", variant="rma", memory_size=16, dropout=0.0, label_dim=8)


def batches():
    """Three batches of 8, 8 and 6 graphs (the last ragged), deterministic."""
    g = torch.Generator().manual_seed(1)
    out = []
    for size in (8, 8, 6):
        graphs = []
        for _ in range(size):
            n = int(torch.randint(2, 6, (1,), generator=g))
            s = torch.arange(n - 1)
            gr = dgl.graph((torch.cat([s, s + 1]), torch.cat([s + 1, s])), num_nodes=n)
            gr.ndata["feat"] = torch.randn(n, 4, generator=g)
            graphs.append(gr)
        out.append((graphs, torch.randint(0, 3, (size,), generator=g)))
    return out


def shard(graphs, y, rank):
    """Rank 0 takes the first 5 graphs of a batch of 8 (4 of 6), rank 1 the rest: uneven parts."""
    cut = 5 if len(graphs) == 8 else 4
    part = slice(0, cut) if rank == 0 else slice(cut, len(graphs))
    return graphs[part], y[part]
