"""A source without a registered checksum (REDDIT-MULTI-5K/12K) is never used on trust: the first
copy is refused with an error naming the file, its SHA-256 and how to accept it; once accepted
through HMA_GRAPH_ACCEPT_SHA256 it is verified like a registered one."""
import csv
import hashlib

import pytest

from hma_graph.data import fetch as fetch_mod
from hma_graph.data.fetch import ACCEPT_ENV, ChecksumError, Source, UnregisteredChecksumError, expected_sha256

DATA = b"REDDIT-MULTI-5K stand-in\n"
SHA = hashlib.sha256(DATA).hexdigest()
KEY = "tu/R5K.zip"


@pytest.fixture
def unregistered(monkeypatch, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "tu").mkdir(parents=True)
    (mirror / "tu" / "R5K.zip").write_bytes(DATA)
    monkeypatch.setitem(fetch_mod.SOURCES, KEY, Source(KEY, "R5K.zip", "http://invalid/R5K.zip", "", "no checksum yet"))
    monkeypatch.setenv("HMA_GRAPH_MIRROR", str(mirror))
    monkeypatch.setenv("HMA_GRAPH_DATA", str(tmp_path / "data"))
    monkeypatch.delenv(ACCEPT_ENV, raising=False)
    return tmp_path / "data" / "tu"


def test_first_copy_is_refused_with_its_checksum_and_the_fix(unregistered):
    with pytest.raises(UnregisteredChecksumError) as e:
        fetch_mod.fetch(KEY)
    msg = str(e.value)
    assert "no SHA-256 is registered for tu/R5K.zip" in msg and SHA in msg and f"{len(DATA)} bytes" in msg
    assert f"{ACCEPT_ENV}={KEY}={SHA}" in msg and "sources.csv" in msg
    assert not list(unregistered.iterdir())              # nothing kept, no temporary file
    assert isinstance(e.value, ChecksumError)


def test_accepted_checksum_is_used_then_verified(unregistered, monkeypatch):
    monkeypatch.setenv(ACCEPT_ENV, f"tu/other.zip={'0' * 64}, {KEY}={SHA.upper()}")
    assert expected_sha256(KEY) == SHA
    path = fetch_mod.fetch(KEY)
    assert path.read_bytes() == DATA
    assert fetch_mod.fetch(KEY) == path                  # the local copy is verified against it
    path.write_bytes(b"changed\n")
    with pytest.raises(ChecksumError, match=r"does not match the accepted \(HMA_GRAPH_ACCEPT_SHA256\)"):
        fetch_mod.fetch(KEY)
    monkeypatch.delenv(ACCEPT_ENV)
    with pytest.raises(UnregisteredChecksumError, match="is left in place but not used"):
        fetch_mod.fetch(KEY)                             # without the acceptance the file is not used


def test_a_wrong_accepted_checksum_is_refused(unregistered, monkeypatch):
    monkeypatch.setenv(ACCEPT_ENV, f"{KEY}={'f' * 64}")
    with pytest.raises(ChecksumError, match=f"SHA-256 {SHA} does not match the accepted"):
        fetch_mod.fetch(KEY)
    assert not list(unregistered.iterdir())


def test_reddit_multi_rows_name_the_official_download_without_a_checksum():
    with open(fetch_mod._HERE / "sources.csv", newline="") as f:
        rows = {r["key"]: r for r in csv.DictReader(f)}
    for name in ("REDDIT-MULTI-5K", "REDDIT-MULTI-12K"):
        r = rows[f"tu/{name}.zip"]
        assert r["url"] == f"https://www.chrsmrrs.com/graphkerneldatasets/{name}.zip" and r["sha256"] == ""
    assert all(len(r["sha256"]) == 64 for k, r in rows.items() if "REDDIT-MULTI" not in k)
    from hma_graph.data.tu import TU_NAMES
    assert {"REDDIT-MULTI-5K", "REDDIT-MULTI-12K", "IMDB-BINARY"} <= set(TU_NAMES)
