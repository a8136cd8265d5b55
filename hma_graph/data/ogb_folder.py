"""OGB's raw molecule folder: build one from SMILES, unpack OGB's own zip, read one, open it with ogb.

Layout (what ogb's own download unpacks to; ``<root>/ogbg_molX/`` for :mod:`.molecules`):
``raw/{edge,edge-feat,node-feat,graph-label,num-node-list,num-edge-list}.csv.gz`` (no header; edge
rows ``src,dst`` local to the molecule, one row per bond), ``split/scaffold/{train,valid,test}.csv.gz``
(sorted indices), ``mapping/mol.csv.gz`` (header ``<label columns>,smiles,mol_id``; for built data
sets ``mol_id`` is the 0-based row of the source, so dropped rows are visible as gaps) and
``RELEASE_v1.txt`` (ogb asks on stdin when it is missing). Every file is written through
:func:`hma_graph._atomic.atomic_path`; the gzip files deterministically (mtime 0).

:func:`build_molecule_folder` follows the rules OGB used (its molecule sets follow the MoleculeNet
loaders and splitter of pretrain-gnns, Hu et al. 2020):

1. parse every SMILES with ``rdkit.Chem.MolFromSmiles`` (full sanitisation); a row RDKit cannot
   parse (or an empty/missing SMILES, or a molecule without atoms) is dropped and counted;
2. graph = ``ogb.utils.smiles2graph(smiles)`` (one row per bond in RDKit bond order);
3. scaffold = :func:`.scaffold.murcko_scaffold` (Bemis-Murcko, canonical SMILES with stereo);
4. :func:`.scaffold.split_by_scaffold` of the kept molecules, in file order.

Checked on bace (``tests/data/_bace_validation.py``): rebuilt from the SMILES of OGB's own
``mapping/mol.csv.gz``, every file is byte-identical after decompression and all 1513 molecules
fall into the official split part.

:func:`open_ogb_folder` (in :mod:`.ogb_open`, re-exported here) hands such a folder to ogb's
``DglGraphPropPredDataset`` through its
``meta_dict`` argument (values from ogb's ``master.csv``), so ogb never downloads, never prompts,
and never switches to a ``*_dgl`` folder. :func:`read_ogb_raw` reads the raw files as arrays.
"""
from __future__ import annotations

import gzip
import io
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import pandas as pd

from .._atomic import atomic_path, write_text_atomic
from .ogb_open import ogb_meta_dict, open_ogb_folder  # noqa: F401  (re-exported: opening via ogb)
from .scaffold import SPLIT_PARTS, _check_fracs, murcko_scaffold, split_by_scaffold

__all__ = ["BUILDER_VERSION", "RAW_FILES", "build_molecule_folder", "unpack_official", "read_ogb_raw",
           "ogb_meta_dict", "open_ogb_folder"]

#: Version of the builder's output; part of :mod:`.molecules`' cache key and of RELEASE_v1.txt.
BUILDER_VERSION = 1
RAW_FILES = ("edge", "edge-feat", "node-feat", "graph-label", "num-node-list", "num-edge-list")


# --------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------
def _parse(smiles) -> tuple:
    """(mol, '') or (None, reason)."""
    from rdkit import Chem

    if not isinstance(smiles, str) or not smiles.strip():
        return None, "missing SMILES"
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return None, "RDKit cannot parse"
    if mol.GetNumAtoms() == 0:
        return None, "no atoms"
    return mol, ""


def _check_labels(labels: np.ndarray, n_rows: int) -> np.ndarray:
    labels = np.asarray(labels, dtype=np.float64)
    if labels.ndim == 1:
        labels = labels[:, None]
    if labels.ndim != 2 or labels.shape[0] != n_rows:
        raise ValueError(f"labels must have shape ({n_rows}, tasks), got {labels.shape}")
    bad = ~(np.isnan(labels) | (labels == 0) | (labels == 1))
    if bad.any():
        rows = np.nonzero(bad.any(axis=1))[0]
        raise ValueError(
            f"binary labels must be 0, 1 or NaN; {len(rows)} rows are not (first rows {rows[:10].tolist()}, "
            f"values {np.unique(labels[bad])[:10].tolist()})"
        )
    return labels


def _gz_text(path: Path, text_writer) -> None:
    """Write a gzip file deterministically (mtime 0, inner name = file name without .gz)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        with gzip.GzipFile(filename=path.name[:-3], mode="wb", fileobj=raw, mtime=0, compresslevel=6) as gz:
            with io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as f:
                text_writer(f)


def _write_ints(path: Path, arr: np.ndarray) -> None:
    arr = np.asarray(arr, dtype=np.int64)
    if arr.ndim == 1:
        arr = arr[:, None]

    def write(f):
        if len(arr):
            np.savetxt(f, arr, fmt="%d", delimiter=",")

    _gz_text(path, write)


def _label_text(labels: np.ndarray) -> str:
    # "nan", not "": pandas skips blank lines, so a single-task file would lose the row
    rows = [",".join("nan" if np.isnan(v) else str(int(v)) for v in row) for row in labels]
    return "".join(r + "\n" for r in rows)


def _write_folder(out: Path, graphs: List[dict], labels: np.ndarray, smiles: List[str], mol_ids: List,
                  label_names: Sequence[str], split: Dict[str, np.ndarray], release_note: str) -> None:
    if not graphs:
        raise ValueError("no molecule left to write (all were dropped)")
    if sum(g["edge_index"].shape[1] for g in graphs) == 0:
        raise ValueError("no molecule has a bond: ogb's reader cannot read an empty edge.csv.gz")
    raw = out / "raw"
    _write_ints(raw / "edge.csv.gz", np.concatenate([g["edge_index"][:, ::2].T for g in graphs]))
    _write_ints(raw / "edge-feat.csv.gz", np.concatenate([g["edge_feat"][::2] for g in graphs]))
    _write_ints(raw / "node-feat.csv.gz", np.concatenate([g["node_feat"] for g in graphs]))
    _write_ints(raw / "num-node-list.csv.gz", [g["num_nodes"] for g in graphs])
    _write_ints(raw / "num-edge-list.csv.gz", [g["edge_index"].shape[1] // 2 for g in graphs])
    _gz_text(raw / "graph-label.csv.gz", lambda f: f.write(_label_text(labels)))
    for part in SPLIT_PARTS:
        _write_ints(out / "split" / "scaffold" / f"{part}.csv.gz", split[part])
    mapping = pd.DataFrame({c: labels[:, k] for k, c in enumerate(label_names)})
    for c in label_names:
        if not mapping[c].isna().any():
            mapping[c] = mapping[c].astype(np.int64)
    mapping["smiles"] = smiles
    mapping["mol_id"] = mol_ids
    _gz_text(out / "mapping" / "mol.csv.gz", lambda f: mapping.to_csv(f, index=False, lineterminator="\n"))
    write_text_atomic(out / "RELEASE_v1.txt", release_note)


def _featurise(smiles: List, include_chirality: bool, desc: str, progress: Optional[bool]) -> tuple:
    """Rules 1-3 of the module docstring: ``(graphs, scaffolds, kept rows, dropped records)``."""
    from ogb.utils import smiles2graph
    from rdkit import rdBase
    from tqdm import tqdm

    graphs, scaffolds, kept, dropped = [], [], [], []
    disable = None if progress is None else not progress
    with rdBase.BlockLogs():  # RDKit's per-molecule stderr lines; we count and report instead
        bar = tqdm(smiles, desc=f"{desc}: RDKit + smiles2graph", disable=disable, mininterval=1.0)
        for i, s in enumerate(bar):
            mol, reason = _parse(s)
            if mol is None:
                dropped.append({"row": i, "smiles": s if isinstance(s, str) else None, "reason": reason})
                continue
            try:
                scaffold = murcko_scaffold(mol, include_chirality)
            except Exception as e:  # RDKit raises on a few exotic molecules: count them, never crash
                dropped.append({"row": i, "smiles": s, "reason": f"scaffold failed: {e}"})
                continue
            graphs.append(smiles2graph(s))
            scaffolds.append(scaffold)
            kept.append(i)
    return graphs, scaffolds, kept, dropped


def _release_note() -> str:
    from rdkit import __version__ as rdkit_version

    return (
        "# Release note for ogbg-mol*\n\n### v1\n\n"
        f"Built by hma_graph.data.molecules (builder v{BUILDER_VERSION}, RDKit {rdkit_version}) "
        "in OGB's raw format v1.\n"
    )


def build_molecule_folder(smiles: Sequence[str], labels, out_dir: Union[str, Path], *, label_names: Sequence[str],
                          mol_ids: Optional[Sequence] = None, frac_train: float = 0.8, frac_valid: float = 0.1,
                          frac_test: float = 0.1, include_chirality: bool = True, desc: str = "molecules",
                          progress: Optional[bool] = None) -> dict:
    """Write molecules in OGB's raw format under ``out_dir`` (rules: module docstring).

    ``smiles``: n_rows strings; ``labels``: (n_rows, len(label_names)) of 0/1/NaN; ``mol_ids``
    (default: the row numbers) go to ``mapping/mol.csv.gz``. ``progress=None`` shows a tqdm bar
    only on a terminal. Returns the build report: ``n_rows``, ``n_kept``, ``n_dropped``,
    ``dropped`` (list of {row, smiles, reason}), ``n_scaffolds``, ``split_sizes``, ``seconds``.
    """
    t0 = time.perf_counter()
    smiles = list(smiles)
    n_rows = len(smiles)
    labels = _check_labels(labels, n_rows)
    label_names = list(label_names)
    if labels.shape[1] != len(label_names):
        raise ValueError(f"{labels.shape[1]} label columns but {len(label_names)} label names")
    mol_ids = list(range(n_rows)) if mol_ids is None else list(mol_ids)
    if len(mol_ids) != n_rows:
        raise ValueError(f"{len(mol_ids)} mol_ids for {n_rows} SMILES")
    _check_fracs(frac_train, frac_valid, frac_test)

    graphs, scaffolds, kept, dropped = _featurise(smiles, include_chirality, desc, progress)
    split = split_by_scaffold(scaffolds, frac_train, frac_valid, frac_test)
    empty = [p for p in SPLIT_PARTS if len(split[p]) == 0]
    if empty:
        raise ValueError(
            f"{desc}: split part(s) {empty} would be empty with {len(kept)} molecules and fractions "
            f"{(frac_train, frac_valid, frac_test)}; ogb cannot read an empty split file"
        )
    kept_arr = np.array(kept, dtype=np.int64)
    _write_folder(Path(out_dir), graphs, labels[kept_arr], [smiles[i] for i in kept],
                  [mol_ids[i] for i in kept], label_names, split, _release_note())
    return {
        "n_rows": n_rows,
        "n_kept": len(kept),
        "n_dropped": len(dropped),
        "dropped": dropped,
        "n_scaffolds": len(set(scaffolds)),
        "split_sizes": {p: int(len(v)) for p, v in split.items()},
        "seconds": round(time.perf_counter() - t0, 3),
    }


# --------------------------------------------------------------------------------------------
# OGB's own zip, reading, ogb
# --------------------------------------------------------------------------------------------
def unpack_official(zip_path: Path, dest: Path, download_name: str) -> dict:
    """Unpack OGB's zip (top folder ``download_name/``) so that ``dest`` is that folder.

    Checks that every file of the layout is present and that no member escapes the target.
    Returns a build report like :func:`build_molecule_folder`'s (nothing dropped).
    """
    t0 = time.perf_counter()
    need = (
        ["RELEASE_v1.txt", "mapping/mol.csv.gz"]
        + [f"raw/{f}.csv.gz" for f in RAW_FILES]
        + [f"split/scaffold/{p}.csv.gz" for p in SPLIT_PARTS]
    )
    try:
        with zipfile.ZipFile(zip_path) as z:
            names = set(z.namelist())
            missing = [f for f in need if f"{download_name}/{f}" not in names]
            if missing:
                raise RuntimeError(f"{zip_path} is not OGB's {download_name}.zip: missing {missing}")
            stage = dest.parent / f".{dest.name}.unzip-{uuid.uuid4().hex[:8]}"
            for member in z.namelist():
                target = (stage / member).resolve()
                if not str(target).startswith(str(stage.resolve())):
                    raise RuntimeError(f"{zip_path}: member {member!r} escapes the target folder")
            z.extractall(stage)
    except zipfile.BadZipFile as e:
        raise RuntimeError(f"{zip_path} is not a readable zip file ({e})") from e
    os.replace(stage / download_name, dest)
    shutil.rmtree(stage, ignore_errors=True)
    with gzip.open(dest / "raw" / "num-node-list.csv.gz", "rt") as f:
        n = sum(1 for _ in f)
    return {"n_rows": n, "n_kept": n, "n_dropped": 0, "dropped": [], "seconds": round(time.perf_counter() - t0, 3)}


def read_ogb_raw(folder: Union[str, Path]) -> dict:
    """The raw files of an OGB folder as arrays: one int64 (rows, columns) array per name of
    :data:`RAW_FILES` (``graph-label`` float64, NaN where missing), ``split`` (part -> (n,) int64)
    and ``mapping`` (DataFrame)."""
    folder = Path(folder)

    def ints(rel):
        return pd.read_csv(folder / rel, header=None).to_numpy(np.int64)

    out = {f: ints(f"raw/{f}.csv.gz") for f in RAW_FILES if f != "graph-label"}
    out["graph-label"] = pd.read_csv(folder / "raw" / "graph-label.csv.gz", header=None).to_numpy(np.float64)
    out["split"] = {p: ints(f"split/scaffold/{p}.csv.gz")[:, 0] for p in SPLIT_PARTS}
    out["mapping"] = pd.read_csv(folder / "mapping" / "mol.csv.gz")
    return out
