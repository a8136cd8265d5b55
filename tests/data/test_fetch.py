"""fetch(): a copy from the mirror replaces its target only after the checksum matches."""
import hashlib

import pytest

from hma_graph.data import fetch as fetch_mod
from hma_graph.data.fetch import ChecksumError, Source


@pytest.fixture
def registered(monkeypatch, tmp_path):
    """A one-file mirror ``tmp/mirror/test/a.txt`` registered as source ``test/a.txt``."""
    mirror = tmp_path / "mirror"
    (mirror / "test").mkdir(parents=True)
    (mirror / "test" / "a.txt").write_bytes(b"hello\n")
    sha = hashlib.sha256(b"hello\n").hexdigest()
    monkeypatch.setitem(fetch_mod.SOURCES, "test/a.txt", Source("test/a.txt", "a.txt", "http://invalid/", sha))
    monkeypatch.setenv("HMA_GRAPH_MIRROR", str(mirror))
    monkeypatch.setenv("HMA_GRAPH_DATA", str(tmp_path / "data"))
    return mirror


def test_copy_from_mirror(registered, tmp_path):
    got = fetch_mod.fetch("test/a.txt")
    assert got == tmp_path / "data" / "test" / "a.txt" and got.read_bytes() == b"hello\n"
    assert sorted(p.name for p in got.parent.iterdir()) == ["a.txt"]  # no temporary file left


def test_corrupt_mirror_copy_is_refused_and_removed(registered, tmp_path):
    (registered / "test" / "a.txt").write_bytes(b"hellO\n")
    # the error names the mirror file, which is what is corrupt, not the deleted temporary copy
    mirror_file = registered / "test" / "a.txt"
    with pytest.raises(ChecksumError, match=rf"^{mirror_file}: SHA-256 .* does not match .* test/a\.txt.*"
                                            rf"Replace {mirror_file} with a good copy"):
        fetch_mod.fetch("test/a.txt")
    assert list((tmp_path / "data" / "test").iterdir()) == []  # neither target nor temporary file


def test_an_unwritable_data_root_names_the_variable(registered, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv("HMA_GRAPH_DATA", str(tmp_path / "file" / "data"))
    with pytest.raises(OSError, match="cannot (write to|create the data root) .*file/data.*HMA_GRAPH_DATA"):
        fetch_mod.fetch("test/a.txt")
