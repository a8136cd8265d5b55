"""Checkpoints: round trip with weights_only, a flipped byte or a truncation is refused, RNG state."""
import pytest
import torch

from hma_graph import checkpoint


def test_round_trip_and_corruption_is_refused(tmp_path):
    path = tmp_path / "run.pt"
    state = {"signature": {"lr": 0.1}, "w": torch.arange(6.0), "rng": checkpoint.rng_state()}
    checkpoint.save(state, path)
    back = checkpoint.load(path, {"lr": 0.1})
    assert torch.equal(back["w"], state["w"]) and torch.equal(back["rng"]["cpu"], state["rng"]["cpu"])
    with pytest.raises(ValueError, match="different run.*lr"):
        checkpoint.load(path, {"lr": 0.2})
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01                                   # one flipped bit in the payload
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=f"{path} is corrupt.*checksum"):
        checkpoint.load(path, {"lr": 0.1})
    path.write_bytes(bytes(data[: len(data) // 3]))                # truncated
    with pytest.raises(ValueError, match="corrupt"):
        checkpoint.load(path, {"lr": 0.1})


def test_rng_state_restores_the_stream():
    s = checkpoint.rng_state()
    a = torch.rand(3)
    checkpoint.set_rng_state(s)
    assert torch.equal(torch.rand(3), a)
