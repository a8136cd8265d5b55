"""GraphLoader(transform=): every graph of every batch transformed afresh, from its own seeded
generator (batch order as without the transform), stored graphs untouched, resumable."""
import dgl
import torch

from hma_graph.data.loader import GraphLoader


def graphs(n=10):
    out = []
    for i in range(n):
        g = dgl.graph(([0, 1], [1, 0]), num_nodes=2)
        g.ndata["feat"] = torch.full((2, 1), float(i))
        out.append(g)
    return out


def noisy(g, generator):
    """Adds one U[0, 1) draw to the features: which graph and which draw can be read back."""
    h = dgl.graph(g.edges(), num_nodes=g.num_nodes())
    h.ndata["feat"] = g.ndata["feat"] + torch.rand(1, generator=generator)
    return h


def ids(batch):
    return batch.ndata["feat"][::2, 0].floor().long().tolist()


def test_transform_applies_to_every_graph_and_keeps_the_batch_order():
    gs, y = graphs(), torch.arange(10)
    plain = GraphLoader(gs, y, 4, shuffle=True, seed=3)
    aug = GraphLoader(gs, y, 4, shuffle=True, seed=3, transform=noisy)
    for _ in range(2):  # two epochs
        for (gp, yp), (ga, ya) in zip(plain, aug):
            assert torch.equal(yp, ya) and ids(gp) == ids(ga) == yp.tolist()
            frac = ga.ndata["feat"][:, 0] - gp.ndata["feat"][:, 0]
            assert bool(((frac > 0) & (frac < 1)).all())
    assert [float(g.ndata["feat"][0]) for g in gs] == [float(i) for i in range(10)]   # stored graphs untouched


def test_transform_draws_are_fresh_every_epoch_and_resumable():
    gs, y = graphs(), torch.arange(10)
    loader = GraphLoader(gs, y, 10, seed=0, transform=noisy)
    first = next(iter(loader))[0].ndata["feat"].clone()
    state = loader.state_dict()
    second = next(iter(loader))[0].ndata["feat"]
    assert not torch.equal(first, second)
    other = GraphLoader(gs, y, 10, seed=0, transform=noisy)
    other.load_state_dict(state)
    assert torch.equal(next(iter(other))[0].ndata["feat"], second)
    assert "transform_generator" not in GraphLoader(gs, y, 10).state_dict()
