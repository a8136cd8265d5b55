"""The OOD TABLE.md from hand-made records: cells, averages, time ratios, paired rows, caption."""
import statistics

from hma_graph.experiments import ood_report, registry


def rec(method, dataset, seed, test, wall=10.0, epochs=10, batch=None, suite="tu"):
    spec = {"suite": suite, "dataset": dataset, "method": method, "seed": seed}
    return {"spec": spec, "test": test, "wall_s": wall, "epochs_run": epochs, "status": "done",
            "extra": {} if batch is None else {"test_batch": batch}, "config": registry.resolve("ood", "paper", spec)}


RECORDS = [rec("erm", "NCI1", 0, 0.10, 10, 10), rec("erm", "NCI1", 1, 0.20, 20, 10),
           rec("erm", "NCI1", 2, 0.30, 30, 30),
           rec("hma", "NCI1", 0, 0.40, 30, 10, 0.1), rec("hma", "NCI1", 1, 0.50, 40, 20, 0.2),
           rec("hma", "NCI1", 2, 0.60, 150, 30, 0.3),
           rec("hma", "DD", 0, 0.25, 99, 10, 0.3), rec("erm", "DD", 5, 0.35, 1, 1)]


def cells(text, first):
    line = next(l for l in text.splitlines() if l.startswith(f"| {first} |"))
    return [c.strip() for c in line.strip("|").split("|")]


def test_mcc_table_with_paper_numbers():
    text = ood_report.render(RECORDS, "tu")
    header = cells(text, "method")
    assert header[1:5] == ["NCI1 (ours)", "NCI1 (paper)", "DD (ours)", "DD (paper)"]
    sd = statistics.stdev([0.1, 0.2, 0.3])
    erm = cells(text, "ERM")
    assert erm[1] == f"0.200 ± {sd:.3f} (n=3)" and erm[2] == "0.15 ± 0.03"
    assert erm[3] == "0.350 (n=1)" and erm[4] == "0.29 ± 0.10"
    assert erm[5] == f"{(0.2 + 0.35) / 2:.3f}" and erm[6] == f"{(0.15 + 0.29) / 2:.3f}"
    assert erm[7:] == ["1.00x", "1.00x"]
    hma = cells(text, "HMA")
    assert hma[1] == f"0.500 ± {sd:.3f} (n=3)" and hma[2] == "0.19 ± 0.05" and hma[4] == "0.32 ± 0.03"
    assert hma[7:] == ["3.00x", "3.00x"]
    batch = cells(text, ood_report.BATCH_ROW)
    assert batch[1] == f"0.200 ± {sd:.3f} (n=3)" and batch[7:] == ["-", "-"]
    # paired against ERM on seeds 0-2: (0.3, 0.3, 0.3): sd 0, so the interval is the point
    assert cells(text, "HMA − ERM")[1] == "+0.300 [+0.300, +0.300] (3/3 seeds up)"
    assert cells(text, "HMA − ERM")[2] == "-"                      # DD: no common seed
    assert "seeds 0, 1, 2, 5" in text and "Paper: arXiv 2310.10909, Table 6, 10 seeds." in text
    assert "PROTEINS" not in text.split("\n\n")[1]                 # only data sets with records


def test_accuracy_in_percent_without_paper():
    recs = [rec(m, "SPMotif-0.9", s, v, suite="spmotif") for m, s, v in
            (("erm", 0, 0.5), ("erm", 1, 0.7), ("hma", 0, 0.6), ("hma", 1, 0.6))]
    text = ood_report.render(recs, "spmotif")
    assert cells(text, "method") == ["method", "SPMotif-0.9 (ours)", "time/run vs ERM", "time/epoch vs ERM"]
    assert cells(text, "ERM")[1] == f"60.00 ± {100 * statistics.stdev([0.5, 0.7]):.2f} (n=2)"
    assert "train/val/test sizes 9000/3000/6000" in text and "test bases large" in text


def test_every_method_renders_and_asap_dir_are_described():
    # ASAP's model config has no conv/readout; rendering a table with its records used to raise KeyError
    recs = [rec(m, "NCI1", 0, 0.1 * i) for i, m in enumerate(("erm", "asap", "dir", "cigav1", "irm", "hma"))]
    text = ood_report.render(recs, "tu")
    assert cells(text, "ASAP")[1] == "0.100 (n=1)" and cells(text, "DIR")[1] == "0.200 (n=1)"
    assert "ASAP 3x32, pooling ratio 0.8, dropout 0.0 (NCI1)" in text
    # the GCN of ERM/IRM/HMA and CIGA/DIR's backbone is listed once, with its data set
    assert text.count("GCN 3x32 mean readout, dropout 0.3 (NCI1)") == 1
    assert "NCI1 DIR: r 0.25, alpha 0.0001" in text


def test_caption_names_each_hma_row_and_each_ciga_setting():
    recs = [rec(m, "NCI1", 0, 0.1) for m in ("hma", "hma-s1", "cigav1", "cigav2")]
    hma = next(l for l in ood_report.render(recs, "tu").splitlines() if l.startswith("Penalties"))
    # each HMA row is named once with its own settings (lr_scale 0.1 is the library's default)
    assert "HMA: label_dim 16, lr_scale 0.1, " in hma and "HMA (lr_scale 1): label_dim 16, lr_scale 1.0, " in hma
    assert hma.count("label_dim") == 2
    # one CIGA setting per (data set, method), separated by semicolons (each has commas of its own)
    assert "NCI1 CIGAv1: r 0.6, alpha 0.5; NCI1 CIGAv2: r 0.6, alpha 1, beta 1." in hma


def test_sst_caption_says_where_the_data_comes_from():
    text = ood_report.render([rec("erm", "Graph-Twitter", 0, 0.6, suite="sst")], "sst")
    assert "tested on generated files in DIG's format" in text and "Table 5" in text


def test_hma_rank_per_data_set():
    text = ood_report.render(RECORDS, "tu")
    # NCI1: HMA mean 0.5 > ERM 0.2 -> 1 of 2; DD: HMA 0.25 < ERM 0.35 -> 2 of 2
    assert cells(text, "ours") == ["ours", "1 of 2", "2 of 2"]
    paper = cells(text, "paper")
    assert paper[0] == "paper" and all(c.endswith("of 9") for c in paper[1:])
