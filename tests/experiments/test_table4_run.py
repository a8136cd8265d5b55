"""Table 4's training-side hooks in run_spec on a generated TU data set: the degree features and the
G-Mixup split, DropEdge on training batches only, G-Mixup's synthetic graphs added once with soft
labels (from the training split only, features set together, cached graphs untouched), the StepLR
schedule in the record."""
import dgl
import pytest
import torch

from _tu_generated import clear, register
from hma_graph.experiments import registry
from hma_graph.experiments.datasets import load_data
from hma_graph.experiments.run import build_loaders, run_spec


@pytest.fixture
def data(monkeypatch, tmp_path):
    register(monkeypatch, tmp_path)
    yield
    clear()


def cfg(method, profile="quick", **over):
    return registry.resolve("table4", profile, {"dataset": "IMDB-BINARY", "method": method, "seed": 1314}, over or None)


def test_data_degree_features_and_split(data):
    graphs, labels, split, c = load_data(cfg("vanilla"))
    assert len(graphs) == 60 and c == 2 and labels.tolist() == [i % 2 for i in range(60)]
    assert [len(split[k]) for k in ("train", "valid", "test")] == [42, 6, 12]
    top = max(int(g.in_degrees().max()) for g in graphs)
    for g in graphs[:5]:   # duplicates collapsed: one-hot of the undirected degree, width max degree + 1
        assert g.ndata["feat"].shape == (g.num_nodes(), top + 1)
        assert g.ndata["feat"].argmax(1).tolist() == g.in_degrees().tolist()


def test_dropedge_reaches_training_batches_only(data):
    config = cfg("dropedge")
    graphs, labels, split, c = load_data(config)
    loaders = build_loaders(config, graphs, labels, split, c)
    assert loaders["train"].transform is not None
    assert loaders["valid"].transform is None and loaders["test"].transform is None
    g, _ = next(iter(loaders["train"]))
    full = sum(graphs[i].num_edges() for i in loaders["train"].last_indices.tolist())
    assert g.num_edges() < full                                   # 20% of the undirected edges dropped
    v, _ = next(iter(loaders["valid"]))
    assert v.num_edges() == sum(graphs[i].num_edges() for i in loaders["valid"].last_indices.tolist())


def test_gmixup_adds_soft_labelled_training_graphs_once(data):
    config = cfg("gmixup", data={"gmixup": {"aug_ratio": 1.0}})
    graphs, labels, split, c = load_data(config)
    before = [g.ndata["feat"].clone() for g in graphs]
    loaders = build_loaders(config, graphs, labels, split, c)
    train = loaders["train"]
    n, s = 60, 10 * int(42 * 1.0 / 10)                          # aug_num 10 x int(N_train x ratio / 10) = 40
    assert s == 40 and len(train.graphs) == n + s and len(train.indices) == 42 + s
    assert train.indices[:42].tolist() == split["train"].tolist()
    assert train.indices[42:].tolist() == list(range(n, n + s))
    soft = train.labels
    assert soft.shape == (n + s, 2) and torch.allclose(soft.sum(1), torch.ones(n + s))
    assert torch.equal(soft[:n].argmax(1), labels) and bool((soft[n:].max(1).values >= 0.99).all())
    assert loaders["valid"].labels[n:].eq(-1).all()               # eval loaders never reach synthetic rows
    assert loaders["valid"].graphs is train.graphs
    width = {g.ndata["feat"].shape[1] for g in train.graphs}
    assert len(width) == 1                                        # one degree rule over real + synthetic
    assert all(torch.equal(a, g.ndata["feat"]) for a, g in zip(before, graphs))   # cached graphs untouched
    def edges(gs):
        return [torch.stack(g.edges()).tolist() for g in gs]

    again = build_loaders(config, graphs, labels, split, c)["train"]
    assert edges(again.graphs[n:]) == edges(train.graphs[n:])                  # a function of the seed
    others = list(graphs)                                          # other valid/test graphs: same synthetic set
    for i in list(split["valid"]) + list(split["test"]):
        others[i] = dgl.graph(([0, 1], [1, 0]), num_nodes=2)
    assert edges(build_loaders(config, others, labels, split, c)["train"].graphs[n:]) == edges(train.graphs[n:])


def test_run_records_the_schedule_and_the_synthetic_count(data):
    rec = run_spec(cfg("gmixup", train={"epochs": 4}))
    # quick profile: lr halved every 2 epochs; 42 training graphs x 0.15 / 10 mixing weights < 1
    # graph per weight, so G-Mixup's int() adds none here
    assert rec["history"]["lr"] == pytest.approx([0.01, 0.01, 0.005, 0.005]) and rec["synthetic"] == 0
    rec = run_spec(cfg("gmixup", train={"epochs": 1}, data={"gmixup": {"aug_ratio": 1.0}}))
    assert rec["synthetic"] == 40 and rec["sizes"]["train"] == 42


@pytest.mark.parametrize("name, n, classes, width", [("IMDB-BINARY", 1000, 2, 136), ("IMDB-MULTI", 1500, 3, 89),
                                                     ("REDDIT-BINARY", 2000, 2, 1)])
def test_mirror_data_sets_get_g_mixups_features_and_split(mirror, name, n, classes, width):
    """The published sizes; IMDB's max degrees 135 / 88 give one-hot widths 136 / 89, REDDIT-BINARY's
    max degree 3062 (>= 2000) the z-scored degree; 70/10/20 of the data set."""
    clear()
    graphs, labels, split, c = load_data(cfg("vanilla", "paper") | {"dataset": name})
    assert len(graphs) == n and c == classes and labels.bincount().tolist() == [n // classes] * classes
    assert {g.ndata["feat"].shape[1] for g in graphs[:50]} == {width}
    assert [len(split[k]) for k in ("train", "valid", "test")] == [int(0.7 * n), int(0.8 * n) - int(0.7 * n),
                                                                    n - int(0.8 * n)]
    if width == 1:
        z = torch.cat([g.ndata["feat"] for g in graphs])
        assert abs(float(z.mean())) < 1e-4 and abs(float(z.std()) - 1) < 1e-4
    clear()


def test_reddit_multi_needs_an_accepted_checksum(monkeypatch, tmp_path):
    """REDDIT-MULTI-5K has no registered checksum: a copy (here a generated 5-class zip in the
    mirror) is refused naming its SHA-256 and the variable that accepts it; accepted, it loads."""
    import hashlib

    from _tu_generated import write_zip
    from hma_graph.experiments.datasets import DataMissingError

    (tmp_path / "mirror" / "tu").mkdir(parents=True)
    path = write_zip(tmp_path / "mirror" / "tu" / "REDDIT-MULTI-5K.zip", "REDDIT-MULTI-5K", labels=(1, 5))
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    monkeypatch.setenv("HMA_GRAPH_MIRROR", str(tmp_path / "mirror"))
    monkeypatch.setenv("HMA_GRAPH_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("HMA_GRAPH_ACCEPT_SHA256", raising=False)
    clear()
    config = registry.resolve("table4", "quick", {"dataset": "REDDIT-MULTI-5K", "method": "vanilla", "seed": 1314})
    match = f"REDDIT-MULTI-5K.*HMA_GRAPH_ACCEPT_SHA256=tu/REDDIT-MULTI-5K.zip={sha}"
    with pytest.raises(DataMissingError, match=match):
        load_data(config)
    monkeypatch.setenv("HMA_GRAPH_ACCEPT_SHA256", f"tu/REDDIT-MULTI-5K.zip={sha}")
    graphs, labels, split, c = load_data(config)
    assert len(graphs) == 60 and c == 2 and sorted(set(labels.tolist())) == [0, 1]
    clear()
