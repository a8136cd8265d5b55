"""HMA under DistributedDataParallel (gloo, 2 CPU processes): one memory for all ranks.

Each rank trains on its part of every batch (uneven parts: 5 and 3 graphs, then a ragged 4 and 2).
After the steps, both ranks hold the same parameters, momentum copy and queue, and these equal a
single process trained on the concatenated batches; without the gather they do not.
"""
import subprocess
import sys

import pytest
import torch



def _run(tmp_path, gather):
    from pathlib import Path

    worker = str(Path(__file__).resolve().with_name("_ddp_worker.py"))
    init = tmp_path / f"init{gather}"
    procs = [subprocess.Popen([sys.executable, worker, str(r), str(init), str(tmp_path / f"r{r}_{gather}.pt"),
                               "1" if gather else "0"]) for r in range(2)]
    assert all(p.wait(timeout=180) == 0 for p in procs)
    return [torch.load(tmp_path / f"r{r}_{gather}.pt", weights_only=True) for r in range(2)]


def _single_process():
    import dgl
    import torch.nn.functional as F

    from _ddp_common import batches, make_model

    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for graphs, y in batches():
        g = dgl.batch(graphs)
        loss = F.cross_entropy(model(g, g.ndata["feat"], labels=y), y)
        opt.zero_grad(); loss.backward(); opt.step()
    return model.state_dict()


def _same(a, b, atol=1e-5):
    return a.keys() == b.keys() and all(torch.allclose(a[k].float(), b[k].float(), atol=atol) for k in a)


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")
def test_two_ranks_hold_one_memory_equal_to_a_single_process(tmp_path):
    r0, r1 = _run(tmp_path, gather=True)
    single = _single_process()
    assert torch.equal(r0["hma.queue.labels"], r1["hma.queue.labels"]) and int(r0["hma.queue.count"]) == 16
    assert _same(r0, r1) and _same(r0, single)                      # parameters, momentum copy, queue
    diff = max(float((r0[k].float() - single[k].float()).abs().max()) for k in r0)
    print("max |DDP - single process| over the state:", diff)
    # the control: without the gather each rank writes only its own rows
    n0, n1 = _run(tmp_path, gather=False)
    assert not _same(n0, single)
