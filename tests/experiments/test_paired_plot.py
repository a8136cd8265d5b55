"""hma_graph.experiments.paired_plot: dots, means, clipped intervals and seed labels from hand-made rows."""
from hma_graph.experiments.paired_plot import LABELLED_SEEDS, plot_paired_rows
from hma_graph.experiments.report import paired


def row(label, diffs, paper=None):
    base = {s: 0.5 for s in range(len(diffs))}
    return label, {"D": (paired({s: 0.5 + x for s, x in enumerate(diffs)}, base), paper)}


def test_clipped_interval_ends_and_seed_labels(tmp_path):
    # two seeds: t(0.975, 1) = 12.71 makes the interval far wider than the dots; both ends are clipped
    wide = row("wide", [-0.02, 0.01], paper=0.5)
    many = row("many", [0.001 * i for i in range(LABELLED_SEEDS + 1)])
    fig = plot_paired_rows([wide, many], ["D"], tmp_path / "p.png", "x")
    ax = fig.axes[0]
    lo_lim, hi_lim = ax.get_xlim()
    assert lo_lim < -2.0 and hi_lim > 1.0  # the dots at -2 and +1 points set the range
    d = wide[1]["D"][0]
    assert 100 * d["lo"] < lo_lim and 100 * d["hi"] > hi_lim
    ends = sorted((l.get_marker(), float(l.get_xdata()[0])) for l in ax.get_lines() if list(l.get_ydata()) == [0])
    assert ends == [("<", lo_lim), (">", hi_lim)]
    assert [sorted(l.get_xdata()) for l in ax.get_lines() if list(l.get_ydata()) == [0, 0]] == [[lo_lim, hi_lim]]
    labels = [t.get_text() for t in ax.texts]
    assert labels == ["0", "1"]  # the two-seed row is labelled; the row with LABELLED_SEEDS + 1 seeds is not
    assert (tmp_path / "p.png").stat().st_size > 0


def test_nothing_to_draw(tmp_path):
    assert plot_paired_rows([("none", {"D": (None, 1.0)})], ["D"], tmp_path / "p.png", "x") is None
    assert not (tmp_path / "p.png").exists()
