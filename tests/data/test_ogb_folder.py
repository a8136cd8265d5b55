"""OGB raw-folder builder and reader on hand-made molecules (hand-counted atoms, bonds, splits)."""
import hashlib

import numpy as np
import pandas as pd
import pytest
import torch
from _molecule_cases import HAND_60_20_20, TINY, as_lists

from hma_graph.data import ogb_folder


def test_builder_drops_and_counts_unparsable_and_writes_ogb_format(tmp_path):
    smiles = ["CCO", "C1CC", "", "c1ccccc1", "not a smiles", "CC(=O)O", "C1CCCCC1"]
    labels = [0, 1, 0, 1, 1, float("nan"), 0]
    rep = ogb_folder.build_molecule_folder(
        smiles, labels, tmp_path / "ds", label_names=["y"], frac_train=0.5, frac_valid=0.25, frac_test=0.25,
        progress=False)
    assert rep["n_rows"] == 7 and rep["n_kept"] == 4 and rep["n_dropped"] == 3
    assert [d["row"] for d in rep["dropped"]] == [1, 2, 4]
    assert [d["reason"] for d in rep["dropped"]] == ["RDKit cannot parse", "missing SMILES", "RDKit cannot parse"]

    mapping = pd.read_csv(tmp_path / "ds" / "mapping" / "mol.csv.gz")
    assert list(mapping.columns) == ["y", "smiles", "mol_id"]
    assert mapping["mol_id"].tolist() == [0, 3, 5, 6]  # source rows: dropped rows leave gaps

    ds = ogb_folder.open_ogb_folder("ogbg-molbbbp", tmp_path / "ds")
    assert len(ds) == 4
    # labels (n, 1); float32 with NaN because one label is missing
    assert ds.labels.shape == (4, 1) and ds.labels.dtype == torch.float32
    assert ds.labels[[0, 1, 3], 0].tolist() == [0.0, 1.0, 0.0] and torch.isnan(ds.labels[2, 0])
    g, _ = ds[0]  # ethanol: C-C-O, 3 atoms, 2 bonds -> 4 directed edges, each bond then its reverse
    assert g.num_nodes() == 3 and g.ndata["feat"].shape == (3, 9) and g.ndata["feat"].dtype == torch.int64
    assert g.ndata["feat"][:, 0].tolist() == [5, 5, 7]  # atomic number - 1: C, C, O
    src, dst = g.edges()
    assert src.tolist() == [0, 1, 1, 2] and dst.tolist() == [1, 0, 2, 1]
    assert g.edata["feat"].shape == (4, 3) and g.edata["feat"][:, 0].tolist() == [0, 0, 0, 0]  # single bonds
    benzene, _ = ds[1]
    assert benzene.num_nodes() == 6 and benzene.num_edges() == 12
    assert benzene.edata["feat"][:, 0].tolist() == [3] * 12  # aromatic bond type index
    # kept molecules: 0 ethanol '', 1 benzene, 2 acetic acid '', 3 cyclohexane; cuts 2, 3:
    # '' {0, 2} -> train; then singletons by index descending: cyclohexane -> valid, benzene -> test
    assert as_lists(ds.get_idx_split()) == {"train": [0, 2], "valid": [3], "test": [1]}


def test_builder_refuses_an_empty_split_part(tmp_path):
    with pytest.raises(ValueError, match=r"\['test'\] would be empty"):
        ogb_folder.build_molecule_folder(TINY, [0] * 10, tmp_path / "x", label_names=["y"], progress=False)


def test_builder_rejects_labels_out_of_range(tmp_path):
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        ogb_folder.build_molecule_folder(["CCO", "CCN"], [0, 2], tmp_path / "x", label_names=["y"], progress=False)


def _digests(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_is_byte_deterministic_and_read_back(tmp_path):
    labels = [i % 2 for i in range(len(TINY))]
    for out in ("a", "b"):
        ogb_folder.build_molecule_folder(TINY, labels, tmp_path / out, label_names=["y"], frac_train=0.6,
                                         frac_valid=0.2, frac_test=0.2, progress=False)
    a = _digests(tmp_path / "a")
    assert a == _digests(tmp_path / "b")  # gzip mtime 0: the same input gives the same bytes
    assert not [f for f in a if f.rsplit("/", 1)[-1].startswith(".")]  # no temporary files left
    raw = ogb_folder.read_ogb_raw(tmp_path / "a")
    assert raw["num-node-list"][:, 0].tolist() == [3, 7, 7, 7, 7, 3, 7, 7, 10, 8]  # heavy atoms
    assert raw["num-edge-list"][:, 0].tolist() == [2, 7, 7, 7, 7, 2, 7, 7, 11, 8]  # bonds
    assert raw["edge"].shape == (65, 2) and raw["edge-feat"].shape == (65, 3)
    assert raw["node-feat"].shape == (66, 9)
    np.testing.assert_array_equal(raw["graph-label"][:, 0], labels)
    assert as_lists(raw["split"]) == HAND_60_20_20
    assert raw["mapping"]["smiles"].tolist() == TINY

