"""Opening an OGB folder through ogb: quiet on a first load."""
from _molecule_cases import TINY

from hma_graph.data import ogb_folder, ogb_open


def test_open_is_quiet_on_first_processing(tmp_path, capfd):
    # ogb prints "Loading necessary files..." and tqdm bars while it processes a folder the first time
    labels = [i % 2 for i in range(len(TINY))]
    ogb_folder.build_molecule_folder(TINY, labels, tmp_path / "f", label_names=["y"], frac_train=0.6,
                                     frac_valid=0.2, frac_test=0.2, progress=False)
    capfd.readouterr()
    ds = ogb_open.open_ogb_folder("ogbg-molbace", tmp_path / "f")
    assert len(ds) == len(TINY) and (tmp_path / "f" / "processed").exists()
    out, err = capfd.readouterr()
    assert out == "" and err == ""
