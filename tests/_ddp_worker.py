"""One rank of the DDP test (tests/test_distributed.py): python _ddp_worker.py RANK INIT_FILE OUT GATHER."""
import sys

import hma_graph  # noqa: F401  (first: the DGL shim)
import dgl
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

from _ddp_common import batches, make_model, shard  # this script's folder is on sys.path

rank, ws, init, out, gather = int(sys.argv[1]), 2, sys.argv[2], sys.argv[3], sys.argv[4] == "1"
if not gather:  # the control: every rank writes only its own rows
    import hma_graph.nn.hma as H

    H.gather_rows = lambda *t: list(t)
dist.init_process_group("gloo", init_method=f"file://{init}", rank=rank, world_size=ws)
model = make_model()
ddp = DDP(model)
opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
for graphs, y in batches():
    mine, ym = shard(graphs, y, rank)
    g = dgl.batch(mine)
    # sum over my graphs x ws / global batch: DDP's average of the ranks' gradients is then the
    # gradient of the mean loss over the whole batch, as in the single process
    loss = F.cross_entropy(ddp(g, g.ndata["feat"], labels=ym), ym, reduction="sum") * ws / len(y)
    opt.zero_grad()
    loss.backward()
    opt.step()
torch.save(model.state_dict(), out)
dist.destroy_process_group()
