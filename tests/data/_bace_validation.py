"""Check of the molecule builder against OGB's own ogbg-molbace files (used by test_molecules.py;
pytest puts this folder on sys.path).

:func:`validate_builder_on_bace` rebuilds ogbg-molbace with OUR builder
(:func:`hma_graph.data.ogb_folder.build_molecule_folder`) from the SMILES of its official
``mapping/mol.csv.gz`` and compares with the official files, molecule by molecule and file by file.
"""
import gzip
import shutil
import tempfile
from pathlib import Path
from typing import List, Optional, Union

import numpy as np

from hma_graph.data.fetch import data_root, fetch
from hma_graph.data.molecules import SPECS
from hma_graph.data.ogb_folder import RAW_FILES, build_molecule_folder, read_ogb_raw, unpack_official
from hma_graph.data.scaffold import SPLIT_PARTS

COMPARED_FILES = ([f"raw/{f}.csv.gz" for f in RAW_FILES] + [f"split/scaffold/{p}.csv.gz" for p in SPLIT_PARTS]
                  + ["mapping/mol.csv.gz"])


def _per_molecule(arr: np.ndarray, counts: np.ndarray) -> List[np.ndarray]:
    return np.split(arr, np.cumsum(counts)[:-1])


def _rebuild(tmp: Path):
    """Unpack the official bace under ``tmp/official``, rebuild it under ``tmp/rebuilt``; return
    (official arrays, rebuilt arrays, build report, {file: decompressed text identical})."""
    official_dir, rebuilt_dir = tmp / "official", tmp / "rebuilt"
    unpack_official(fetch(SPECS["ogbg-molbace"].source), official_dir, "bace")
    off = read_ogb_raw(official_dir)
    mapping = off["mapping"]
    label_names = [c for c in mapping.columns if c not in ("smiles", "mol_id")]
    report = build_molecule_folder(
        mapping["smiles"].tolist(),
        mapping[label_names].to_numpy(np.float64),
        rebuilt_dir,
        label_names=label_names,
        mol_ids=mapping["mol_id"].tolist(),
        desc="bace validation",
    )
    ours = read_ogb_raw(rebuilt_dir)
    identical = {}
    for rel in COMPARED_FILES:
        with gzip.open(official_dir / rel, "rb") as a, gzip.open(rebuilt_dir / rel, "rb") as b:
            identical[rel] = a.read() == b.read()
    return off, ours, report, identical


def _compare(off: dict, ours: dict) -> dict:
    """Per-molecule mismatch counts and split agreement of two folders with the same molecules."""
    n_off = len(off["num-node-list"])
    nn_o, nn_r = off["num-node-list"][:, 0], ours["num-node-list"][:, 0]
    ne_o, ne_r = off["num-edge-list"][:, 0], ours["num-edge-list"][:, 0]
    per = {
        "node_feat": (_per_molecule(off["node-feat"], nn_o), _per_molecule(ours["node-feat"], nn_r)),
        "edge_index": (_per_molecule(off["edge"], ne_o), _per_molecule(ours["edge"], ne_r)),
        "edge_feat": (_per_molecule(off["edge-feat"], ne_o), _per_molecule(ours["edge-feat"], ne_r)),
    }
    result = {"num_nodes_mismatch": int((nn_o != nn_r).sum()), "num_edges_mismatch": int((ne_o != ne_r).sum())}
    for k, (a, b) in per.items():
        result[f"{k}_mismatch"] = sum(not np.array_equal(x, y) for x, y in zip(a, b))
    same_label = np.isclose(off["graph-label"], ours["graph-label"], equal_nan=True).all(axis=1)
    result["label_mismatch"] = int((~same_label).sum())
    part_o = np.full(n_off, -1)
    part_r = np.full(n_off, -1)
    for k, p in enumerate(SPLIT_PARTS):
        part_o[off["split"][p]] = k
        part_r[ours["split"][p]] = k
    disagree = np.nonzero(part_o != part_r)[0]
    result["split_agree"] = int(n_off - len(disagree))
    result["split_disagree"] = disagree[:50].tolist()
    result["split_sizes_official"] = {p: int(len(off["split"][p])) for p in SPLIT_PARTS}
    result["split_sizes_rebuilt"] = {p: int(len(ours["split"][p])) for p in SPLIT_PARTS}
    return result


def validate_builder_on_bace(root: Optional[Union[str, Path]] = None) -> dict:
    """Rebuild ogbg-molbace from the SMILES of its official mapping and compare with the official files.

    Returns counts: ``n_official``, ``n_rebuilt``, ``n_dropped``; per-molecule mismatches
    ``num_nodes_mismatch``, ``num_edges_mismatch``, ``node_feat_mismatch``, ``edge_index_mismatch``,
    ``edge_feat_mismatch``, ``label_mismatch``; ``split_agree`` (molecules in the same part),
    ``split_sizes_official`` / ``split_sizes_rebuilt``, ``split_disagree`` (up to 50 indices), and
    ``identical_files`` (each file's decompressed text equal). When the builder drops a molecule,
    only the counts, ``identical_files`` and ``dropped`` are returned. Temporary files go under
    ``root`` (default ``data_root()/"ogb"``) and are removed.
    """
    root = Path(root) if root is not None else data_root() / "ogb"
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".validate-bace-"))
    try:
        off, ours, report, identical = _rebuild(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {
        "n_official": len(off["num-node-list"]),
        "n_rebuilt": report["n_kept"],
        "n_dropped": report["n_dropped"],
        "identical_files": identical,
    }
    if report["n_dropped"]:
        # molecule-wise comparison needs a one-to-one match; report and stop there
        result["dropped"] = report["dropped"]
        return result
    result.update(_compare(off, ours))
    return result
