"""Cache keys and cache readers (hma_graph.data.cache): the keys the loaders used before the shared
helper existed, and a missing or corrupt cache read as absent."""
import hashlib
import json

import pytest
import torch

from hma_graph.data.cache import cache_key, load_json_cache, load_torch_cache


def test_key_of_plain_parts_is_sha256_of_colon_joined_text():
    # tu.py's key before the helper: sha256(f"{zip sha}:{name}:{PARSER_VERSION}")
    assert cache_key("abc", "NCI1", 1) == hashlib.sha256(b"abc:NCI1:1").hexdigest()


def test_key_of_a_dict_is_sha256_of_sorted_json():
    # molecules.py's key before the helper: sha256(json.dumps(payload, sort_keys=True))
    payload = {"spec": {"name": "x", "fracs": [0.8, 0.1, 0.1]}, "builder_version": 1, "rdkit": "2024.09"}
    assert cache_key(payload) == hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    assert cache_key(payload) == cache_key(dict(reversed(list(payload.items()))))  # order-free


def test_key_changes_with_any_part():
    keys = {cache_key("a", 1), cache_key("a", 2), cache_key("b", 1), cache_key("a", "1", None)}
    assert len(keys) == 4
    with pytest.raises(ValueError):
        cache_key()


def test_json_cache_missing_or_corrupt_is_none(tmp_path):
    path = tmp_path / "stamp.json"
    assert load_json_cache(path) is None
    path.write_text('{"key": "abc", "n": 3')  # truncated
    assert load_json_cache(path) is None
    path.write_bytes(b"\xff\xfe garbage")
    assert load_json_cache(path) is None
    path.write_text("[1, 2]")  # JSON, but not a record
    assert load_json_cache(path) is None
    path.write_text('{"key": "abc", "n": 3}')
    assert load_json_cache(path) == {"key": "abc", "n": 3}


def test_torch_cache_missing_corrupt_incomplete_or_stale_is_none(tmp_path):
    path = tmp_path / "c.pt"
    assert load_torch_cache(path) is None
    path.write_bytes(b"truncated")
    assert load_torch_cache(path) is None
    good = {"version": torch.tensor(2), "x": torch.arange(3)}
    torch.save(good, path)
    got = load_torch_cache(path, required=("version", "x"), version=2)
    assert got is not None and torch.equal(got["x"], good["x"])
    assert load_torch_cache(path, required=("version", "x", "y"), version=2) is None  # incomplete
    assert load_torch_cache(path, required=("version", "x"), version=3) is None  # another version
    torch.save([1, 2], path)
    assert load_torch_cache(path) is None  # not a dict
    torch.save({"x": torch.arange(3)}, path)
    assert load_torch_cache(path, version=2) is None  # no version field
