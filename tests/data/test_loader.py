import dgl
import pytest
import torch

from hma_graph.data.loader import GraphLoader


def graphs(n):
    return [dgl.graph(([0], [1]), num_nodes=i % 3 + 2) for i in range(n)]


def test_every_graph_once_per_epoch_and_repeatable():
    gs, y = graphs(10), torch.arange(10)
    a = GraphLoader(gs, y, batch_size=4, shuffle=True, seed=3)
    b = GraphLoader(gs, y, batch_size=4, shuffle=True, seed=3)
    ea = [yy for _, yy in a]
    assert [len(t) for t in ea] == [4, 4, 2]
    assert sorted(torch.cat(ea).tolist()) == list(range(10))
    assert all(torch.equal(s, t) for s, t in zip(ea, [yy for _, yy in b]))
    assert not all(torch.equal(s, t) for s, t in zip(ea, [yy for _, yy in a])), "new order each epoch"
    g, yy = next(iter(GraphLoader(gs, y, batch_size=4)))
    assert g.batch_size == 4 and g.num_nodes() == sum(gs[i].num_nodes() for i in range(4))


def test_single_last_batch_dropped_only_when_asked():
    gs, y = graphs(9), torch.arange(9)
    assert len(GraphLoader(gs, y, batch_size=4)) == 3
    assert len(GraphLoader(gs, y, batch_size=4, drop_last_if_single=True)) == 2
    assert len(list(GraphLoader(gs, y, batch_size=4, drop_last_if_single=True))) == 2


def test_errors():
    with pytest.raises(ValueError, match="3 graphs but 2 labels"):
        GraphLoader(graphs(3), torch.arange(2))
    with pytest.raises(ValueError, match="empty split"):
        GraphLoader(graphs(3), torch.arange(3), indices=[])
