"""A small generated TU-format data set registered as a TU source, for Table 4's fast tests.

``register(monkeypatch, tmp_path, name)`` writes ``<tmp>/mirror/tu/<name>.zip`` (60 graphs of 8-15
nodes: class 0 paths with a few chords, class 1 dense Erdos-Renyi p = 0.6; every directed edge
listed twice, as IMDB's files do; raw labels ``labels``), registers it in ``SOURCES`` with its
SHA-256, points HMA_GRAPH_MIRROR / HMA_GRAPH_DATA at temporary folders, and clears the Table 4
loader's cache (call :func:`clear` on teardown too).
"""
import hashlib
import zipfile

import numpy as np


def write_zip(path, name, n_graphs=60, labels=(0, 1), seed=0):
    rng = np.random.default_rng(seed)
    edges, indicator, graph_labels, offset = [], [], [], 0
    for i in range(n_graphs):
        n, c = int(rng.integers(8, 16)), i % 2
        if c == 0:
            pairs = ([(k, k + 1) for k in range(n - 1)]
                     + [tuple(sorted(rng.choice(n, 2, replace=False))) for _ in range(2)])
        else:
            pairs = [(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < 0.6]
        for a, b in set(pairs):
            for u, v in ((a, b), (b, a), (a, b), (b, a)):   # each direction twice
                edges.append(f"{offset + u + 1}, {offset + v + 1}")
        indicator += [str(i + 1)] * n
        graph_labels.append(str(labels[c]))
        offset += n
    with zipfile.ZipFile(path, "w") as zf:
        for suffix, lines in (("A", edges), ("graph_indicator", indicator), ("graph_labels", graph_labels)):
            zf.writestr(f"{name}/{name}_{suffix}.txt", "\n".join(lines) + "\n")
    return path


def register(monkeypatch, tmp_path, name="IMDB-BINARY", **kwargs):
    from hma_graph.data import fetch as fetch_mod
    from hma_graph.experiments import datasets

    mirror = tmp_path / "mirror"
    (mirror / "tu").mkdir(parents=True, exist_ok=True)
    path = write_zip(mirror / "tu" / f"{name}.zip", name, **kwargs)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    key = f"tu/{name}.zip"
    monkeypatch.setitem(fetch_mod.SOURCES, key, fetch_mod.Source(key, f"{name}.zip", "http://invalid/", sha, "test"))
    monkeypatch.setenv("HMA_GRAPH_MIRROR", str(mirror))
    monkeypatch.setenv("HMA_GRAPH_DATA", str(tmp_path / "data"))
    datasets._tu_id.cache_clear()
    return path


def clear():
    from hma_graph.experiments import datasets

    datasets._tu_id.cache_clear()
