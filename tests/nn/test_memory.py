"""MemoryQueue: FIFO of exactly the last `size` examples, for any write size."""
import pytest
import torch

from hma_graph.nn.memory import MemoryQueue


def write_stream(queue, sizes, dim):
    """Write consecutive integers as examples, in batches of the given sizes; return all written."""
    n = 0
    for s in sizes:
        ids = torch.arange(n, n + s)
        queue.write(ids.float().unsqueeze(1).expand(s, dim).clone(), ids)
        n += s
    return torch.arange(n)


@pytest.mark.parametrize("sizes", [[1] * 9, [3, 5, 2, 7, 1], [12], [20, 1], [4, 4, 4, 4], [0, 2, 0]])
def test_holds_exactly_last_entries_in_order(sizes):
    q = MemoryQueue(8, 3)
    written = write_stream(q, sizes, 3)
    expected = written[-8:]
    feats, labels = q.contents()
    assert len(q) == min(8, len(written))
    assert torch.equal(labels, expected)
    assert torch.equal(feats, expected.float().unsqueeze(1).expand(-1, 3))
    assert int(q.valid_mask().sum()) == len(q)


def test_state_is_in_state_dict_and_round_trips():
    q = MemoryQueue(5, 2)
    write_stream(q, [3, 4], 2)
    sd = q.state_dict()
    assert set(sd) == {"feats", "labels", "ptr", "count"}
    r = MemoryQueue(5, 2)
    r.load_state_dict(sd)
    assert torch.equal(r.contents()[1], q.contents()[1])


def test_empty_queue_has_no_valid_entries_and_bad_writes_raise():
    q = MemoryQueue(4, 2)
    assert len(q) == 0 and not q.valid_mask().any()
    with pytest.raises(ValueError, match="shape"):
        q.write(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="labels"):
        q.write(torch.zeros(2, 2), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match="size"):
        MemoryQueue(0, 2)
