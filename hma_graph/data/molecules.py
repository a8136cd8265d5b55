"""OGB molecule benchmarks ogbg-molbace, ogbg-molbbbp, ogbg-molhiv, built and loaded offline.

:func:`load_molecule_dataset` returns ``(dataset, split_idx)``: ``dataset`` is ogb's own
``DglGraphPropPredDataset`` and ``split_idx`` its ``get_idx_split()`` dict of sorted int64 index
tensors ``'train'``, ``'valid'``, ``'test'``. Every graph ``g`` has ``g.ndata['feat']`` (N, 9) int64
(``ogb.utils.features.atom_to_feature_vector``) and ``g.edata['feat']`` (E, 3) int64
(``bond_to_feature_vector``), E = 2 x bonds: ogb's reader interleaves the reverse edges, so edge
2k is bond k as written (begin -> end atom) and edge 2k+1 its reverse, with the same features.
Labels are ``dataset.labels`` (n, 1) int64 (float32 with NaN where a label is missing; none of
these three data sets has one).

Where the data come from (sources in ``sources.csv``, every file checksum-verified by
:func:`hma_graph.data.fetch.fetch`, from ``HMA_GRAPH_MIRROR`` or a download):

* ogbg-molbace: OGB's own artifact ``ogb/bace.zip``, unpacked as is.
* ogbg-molbbbp / ogbg-molhiv: the MoleculeNet CSVs (``BBBP.csv`` column ``p_np``, ``HIV.csv``
  column ``HIV_active``; SMILES column ``smiles``), turned into OGB's raw format by the rules OGB
  used (its molecule sets follow the MoleculeNet loaders and splitter of pretrain-gnns, Hu et al.
  2020):

  1. parse every SMILES with ``rdkit.Chem.MolFromSmiles`` (full sanitisation); a row RDKit cannot
     parse (or an empty/missing SMILES, or a molecule without atoms) is dropped and counted;
  2. graph = ``ogb.utils.smiles2graph(smiles)`` (one row per bond in RDKit bond order);
  3. scaffold = ``MurckoScaffold.MurckoScaffoldSmiles(mol=..., includeChirality=True)`` (the
     Bemis-Murcko framework, as canonical SMILES with stereo);
  4. deterministic scaffold split of the kept molecules, indices i = 0..n-1 in file order:
     group by scaffold, sort the groups by (size, smallest index) in DESCENDING order (largest
     group first; among equal sizes the group whose first molecule comes LATER goes first: this is
     ``sorted(..., key=lambda x: (len(x[1]), x[1][0]), reverse=True)`` in OGB/pretrain-gnns/
     deepchem), then for each group in turn:
     ``train`` if ``|train| + |group| <= 0.8 n``; else ``valid`` if
     ``|train| + |valid| + |group| <= 0.9 n``; else ``test``.
     A later, smaller group can still enter train or valid after a larger one was refused.

  Checked on bace (:func:`validate_builder_on_bace`): rebuilt from the SMILES of its own
  ``mapping/mol.csv.gz``, every file is byte-identical after decompression and all 1513 molecules
  fall into the official split part.

Written layout (``<root>/ogbg_molX/``, what ogb's own download unpacks to):
``raw/{edge,edge-feat,node-feat,graph-label,num-node-list,num-edge-list}.csv.gz`` (no header; edge
rows ``src,dst`` local to the molecule), ``split/scaffold/{train,valid,test}.csv.gz`` (sorted
indices), ``mapping/mol.csv.gz`` (header ``<label columns>,smiles,mol_id``; for built data sets
``mol_id`` is the 0-based row of the source CSV, so dropped rows are visible as gaps),
``RELEASE_v1.txt`` (ogb asks on stdin when it is missing), and our stamp ``hma_build.json``.

Cache: the stamp holds a key = SHA-256 of (builder version, the source's registered SHA-256, the
data set's :class:`MoleculeSpec`, RDKit and ogb versions) and the build report (rows read, kept,
dropped with row/SMILES/reason, split sizes, build time). A folder whose stamp carries the current
key is reused (ogb then loads its ``processed/`` cache); otherwise, or with ``rebuild=True``, it is
rebuilt. A build happens in a temporary sibling folder, including ogb's own processing, and is
renamed into place only when complete. ogb is handed the folder through its ``meta_dict`` argument
(values from ogb's ``master.csv``), so it never downloads, never prompts, and never switches to a
``*_dgl`` folder.

Known differences from the official files (bbbp and hiv cannot be compared file by file here):

* Recent RDKit (measured with 2026.09.1) has a stricter valence model that rejects 7 HIV.csv rows
  (Al, B(-2) and Ge complexes; rows 137, 987, 12882, 18293, 30784, 30785, 35728) which the RDKit
  of 2020 accepted, so ogbg-molhiv builds with 41120 molecules (32896/4112/4112) instead of OGB's
  41127 (32901/4113/4113). BBBP loses 11 rows, OGB's count (2050 -> 2039).
* pretrain-gnns stored BBBP's SMILES re-written by ``Chem.MolToSmiles``; we keep the CSV's SMILES
  (as OGB's bace mapping does). If OGB's bbbp used the re-written ones, its atom order (and hence
  the CW/CCW chiral tags, which are relative to neighbour order) differs from ours; with today's
  RDKit the split would differ for 4 of 2039 molecules.
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import logging
import math
import os
import shutil
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from .fetch import SOURCES, data_root, fetch

__all__ = [
    "MOLECULE_DATASETS",
    "MoleculeSpec",
    "SPECS",
    "BUILDER_VERSION",
    "murcko_scaffold",
    "split_by_scaffold",
    "scaffold_split",
    "build_molecule_folder",
    "load_molecule_dataset",
    "open_ogb_folder",
    "molecule_build_info",
    "validate_builder_on_bace",
]

log = logging.getLogger(__name__)

BUILDER_VERSION = 1
STAMP = "hma_build.json"
SPLIT_PARTS = ("train", "valid", "test")
RAW_FILES = ("edge", "edge-feat", "node-feat", "graph-label", "num-node-list", "num-edge-list")


@dataclass(frozen=True)
class MoleculeSpec:
    """How one data set is obtained. ``official``: ``source`` is OGB's own zip, unpacked as is;
    otherwise ``source`` is a MoleculeNet CSV built by the rules in the module docstring."""

    name: str
    source: str  # key in sources.csv
    official: bool = False
    smiles_column: str = "smiles"
    label_columns: Tuple[str, ...] = ()
    frac_train: float = 0.8
    frac_valid: float = 0.1
    frac_test: float = 0.1
    include_chirality: bool = True


SPECS: Dict[str, MoleculeSpec] = {
    "ogbg-molbace": MoleculeSpec("ogbg-molbace", "ogb/bace.zip", official=True),
    "ogbg-molbbbp": MoleculeSpec("ogbg-molbbbp", "moleculenet/BBBP.csv", label_columns=("p_np",)),
    "ogbg-molhiv": MoleculeSpec("ogbg-molhiv", "moleculenet/HIV.csv", label_columns=("HIV_active",)),
}
MOLECULE_DATASETS = tuple(SPECS)


# --------------------------------------------------------------------------------------------
# scaffold split
# --------------------------------------------------------------------------------------------
def murcko_scaffold(mol_or_smiles, include_chirality: bool = True) -> str:
    """Bemis-Murcko scaffold as canonical SMILES ('' for an acyclic molecule)."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    mol = mol_or_smiles
    if isinstance(mol_or_smiles, str):
        mol = Chem.MolFromSmiles(mol_or_smiles)
        if mol is None:
            raise ValueError(f"RDKit cannot parse SMILES {mol_or_smiles!r}")
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=include_chirality)


def _check_fracs(frac_train: float, frac_valid: float, frac_test: float) -> None:
    fr = (frac_train, frac_valid, frac_test)
    if any(not (0.0 <= f <= 1.0) for f in fr) or not math.isclose(sum(fr), 1.0, abs_tol=1e-9):
        raise ValueError(f"split fractions must lie in [0, 1] and sum to 1, got {fr}")


def split_by_scaffold(
    scaffolds: Sequence[str], frac_train: float = 0.8, frac_valid: float = 0.1, frac_test: float = 0.1
) -> Dict[str, np.ndarray]:
    """OGB's deterministic scaffold split of molecules 0..n-1 given their scaffold keys.

    Groups are visited by (size, first index) descending; each goes to train if it fits under
    ``frac_train * n``, else to valid if train + valid stay under ``(frac_train + frac_valid) * n``,
    else to test. Returns sorted int64 index arrays for 'train', 'valid', 'test'.
    """
    _check_fracs(frac_train, frac_valid, frac_test)
    n = len(scaffolds)
    groups: Dict[str, List[int]] = {}
    for i, s in enumerate(scaffolds):
        groups.setdefault(s, []).append(i)  # indices ascending, so members[0] is the smallest
    ordered = sorted(groups.values(), key=lambda members: (len(members), members[0]), reverse=True)
    train_cut, valid_cut = frac_train * n, (frac_train + frac_valid) * n
    parts: Dict[str, List[int]] = {p: [] for p in SPLIT_PARTS}
    for members in ordered:
        if len(parts["train"]) + len(members) <= train_cut:
            parts["train"].extend(members)
        elif len(parts["train"]) + len(parts["valid"]) + len(members) <= valid_cut:
            parts["valid"].extend(members)
        else:
            parts["test"].extend(members)
    return {p: np.array(sorted(v), dtype=np.int64) for p, v in parts.items()}


def scaffold_split(
    smiles: Sequence[str],
    frac_train: float = 0.8,
    frac_valid: float = 0.1,
    frac_test: float = 0.1,
    include_chirality: bool = True,
) -> Dict[str, np.ndarray]:
    """:func:`split_by_scaffold` of the Murcko scaffolds of ``smiles`` (all must parse)."""
    scaffolds = [murcko_scaffold(s, include_chirality) for s in smiles]
    return split_by_scaffold(scaffolds, frac_train, frac_valid, frac_test)


# --------------------------------------------------------------------------------------------
# building the OGB raw format
# --------------------------------------------------------------------------------------------
def _parse(smiles) -> Tuple[object, str]:
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
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw:
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


def _write_folder(
    out: Path,
    graphs: List[dict],
    labels: np.ndarray,
    smiles: List[str],
    mol_ids: List,
    label_names: Sequence[str],
    split: Dict[str, np.ndarray],
    release_note: str,
) -> None:
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
    (out / "RELEASE_v1.txt").write_text(release_note, encoding="utf-8")


def build_molecule_folder(
    smiles: Sequence[str],
    labels,
    out_dir: Union[str, Path],
    *,
    label_names: Sequence[str],
    mol_ids: Optional[Sequence] = None,
    frac_train: float = 0.8,
    frac_valid: float = 0.1,
    frac_test: float = 0.1,
    include_chirality: bool = True,
    desc: str = "molecules",
    progress: Optional[bool] = None,
) -> dict:
    """Write molecules in OGB's raw format under ``out_dir`` (rules: module docstring).

    ``smiles``: n_rows strings; ``labels``: (n_rows, len(label_names)) of 0/1/NaN; ``mol_ids``
    (default: the row numbers) go to ``mapping/mol.csv.gz``. ``progress=None`` shows a tqdm bar
    only on a terminal. Returns the build report: ``n_rows``, ``n_kept``, ``n_dropped``,
    ``dropped`` (list of {row, smiles, reason}), ``n_scaffolds``, ``split_sizes``, ``seconds``.
    """
    from ogb.utils import smiles2graph
    from rdkit import rdBase
    from tqdm import tqdm

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
    split = split_by_scaffold(scaffolds, frac_train, frac_valid, frac_test)
    empty = [p for p in SPLIT_PARTS if len(split[p]) == 0]
    if empty:
        raise ValueError(
            f"{desc}: split part(s) {empty} would be empty with {len(kept)} molecules and fractions "
            f"{(frac_train, frac_valid, frac_test)}; ogb cannot read an empty split file"
        )
    kept_arr = np.array(kept, dtype=np.int64)
    from rdkit import __version__ as rdkit_version

    note = (
        "# Release note for ogbg-mol*\n\n### v1\n\n"
        f"Built by hma_graph.data.molecules (builder v{BUILDER_VERSION}, RDKit {rdkit_version}) "
        "in OGB's raw format v1.\n"
    )
    _write_folder(
        Path(out_dir),
        graphs,
        labels[kept_arr],
        [smiles[i] for i in kept],
        [mol_ids[i] for i in kept],
        label_names,
        split,
        note,
    )
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
# cache, official zip, ogb loading
# --------------------------------------------------------------------------------------------
def _spec(name: str) -> MoleculeSpec:
    if name not in SPECS:
        raise ValueError(f"unknown molecule data set {name!r}; valid names: {', '.join(SPECS)}")
    return SPECS[name]


def _dir_name(name: str) -> str:
    return "_".join(name.split("-"))  # ogb's folder naming: ogbg-molhiv -> ogbg_molhiv


def _cache_key(spec: MoleculeSpec) -> str:
    import ogb
    from rdkit import __version__ as rdkit_version

    payload = {
        "builder_version": BUILDER_VERSION,
        "source_sha256": SOURCES[spec.source].sha256,
        "spec": dataclasses.asdict(spec),
        "rdkit": rdkit_version,
        "ogb": ogb.__version__,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _read_stamp(folder: Path) -> Optional[dict]:
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _meta_dict(name: str, folder: Path) -> dict:
    import ogb.graphproppred

    master = pd.read_csv(
        Path(ogb.graphproppred.__file__).parent / "master.csv", index_col=0, keep_default_na=False
    )
    meta = dict(master[name])
    meta["dir_path"] = str(folder)
    return meta


def open_ogb_folder(name: str, folder: Union[str, Path]):
    """ogb's ``DglGraphPropPredDataset`` for the OGB-format folder ``folder`` (never downloads).

    ``name`` (e.g. "ogbg-molhiv") selects ogb's meta information (tasks, metric, split name).
    """
    from ogb.graphproppred import DglGraphPropPredDataset

    folder = Path(folder)
    if not (folder / "RELEASE_v1.txt").exists():
        raise FileNotFoundError(f"{folder} has no RELEASE_v1.txt; not an OGB data set folder")
    return DglGraphPropPredDataset(name, meta_dict=_meta_dict(name, folder))


def _unpack_official(zip_path: Path, dest: Path, download_name: str) -> dict:
    """Unpack OGB's zip (top folder ``download_name/``) so that ``dest`` is that folder."""
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


def _build(spec: MoleculeSpec, folder: Path, key: str) -> dict:
    """Build ``folder`` in a temporary sibling (including ogb's processing), then swap it in."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    src = fetch(spec.source)  # checksum-verified (ChecksumError otherwise)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.build-"))
    try:
        work = tmp / folder.name
        if spec.official:
            report = _unpack_official(src, work, _meta_dict(spec.name, work)["download_name"])
        else:
            df = pd.read_csv(src)
            cols = [spec.smiles_column, *spec.label_columns]
            missing = [c for c in cols if c not in df.columns]
            if missing:
                raise ValueError(f"{src}: columns {missing} not found (has {list(df.columns)})")
            try:
                labels = df[list(spec.label_columns)].apply(pd.to_numeric).to_numpy(np.float64)
            except (ValueError, TypeError) as e:
                raise ValueError(f"{src}: non-numeric label in columns {list(spec.label_columns)}: {e}") from e
            report = build_molecule_folder(
                df[spec.smiles_column].tolist(),
                labels,
                work,
                label_names=spec.label_columns,
                frac_train=spec.frac_train,
                frac_valid=spec.frac_valid,
                frac_test=spec.frac_test,
                include_chirality=spec.include_chirality,
                desc=spec.name,
            )
        dataset = open_ogb_folder(spec.name, work)  # ogb processes raw -> processed/ here
        report["n_graphs"] = len(dataset)
        report["split_sizes"] = {p: int(len(v)) for p, v in dataset.get_idx_split().items()}
        del dataset
        report.update(
            name=spec.name,
            source=spec.source,
            source_file=str(src),
            key=key,
            build_id=uuid.uuid4().hex,
            total_seconds=round(time.perf_counter() - t0, 3),
        )
        (work / STAMP).write_text(json.dumps(report, indent=1), encoding="utf-8")
        old = None
        if folder.exists():
            old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(folder, old)
        os.replace(work, folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    msg = (
        f"{spec.name}: built from {spec.source} in {report['total_seconds']:.1f} s: kept {report['n_kept']} of "
        f"{report['n_rows']} molecules, dropped {report['n_dropped']}; split {report['split_sizes']}"
    )
    if report["n_dropped"]:
        msg += "; dropped rows " + ", ".join(f"{d['row']} ({d['reason']})" for d in report["dropped"][:20])
    log.info(msg)
    return report


def load_molecule_dataset(name: str, root: Optional[Union[str, Path]] = None, *, rebuild: bool = False):
    """Return ``(dataset, split_idx)`` for ogbg-molbace, ogbg-molbbbp or ogbg-molhiv.

    ``root`` defaults to ``data_root() / "ogb"``; the data set lives in ``root/ogbg_molX``. Built
    once (see module docstring), then reused while its cache key holds; ``rebuild=True`` forces a
    rebuild. The build report (dropped molecules etc.) is logged and kept:
    :func:`molecule_build_info`.
    """
    spec = _spec(name)
    root = Path(root) if root is not None else data_root() / "ogb"
    folder = root / _dir_name(name)
    key = _cache_key(spec)
    stamp = _read_stamp(folder)
    complete = (folder / "processed" / "dgl_data_processed").exists() or (folder / "raw" / "edge.csv.gz").exists()
    if rebuild or stamp is None or stamp.get("key") != key or not complete:
        _build(spec, folder, key)
    dataset = open_ogb_folder(name, folder)
    return dataset, dataset.get_idx_split()


def molecule_build_info(name: str, root: Optional[Union[str, Path]] = None) -> dict:
    """The build report stored with a built data set (FileNotFoundError if it is not built).

    Keys: ``n_rows`` (source rows), ``n_kept``, ``n_dropped``, ``dropped`` ([{row, smiles, reason}]),
    ``n_graphs``, ``split_sizes``, ``seconds`` (parse/featurise or unzip), ``total_seconds``,
    ``key`` (cache key), ``build_id``, ``source``, ``source_file``, and ``n_scaffolds`` for built sets.
    """
    _spec(name)
    root = Path(root) if root is not None else data_root() / "ogb"
    stamp = _read_stamp(root / _dir_name(name))
    if stamp is None:
        raise FileNotFoundError(f"{name} is not built under {root}; call load_molecule_dataset first")
    return stamp


# --------------------------------------------------------------------------------------------
# validation against the official bace files
# --------------------------------------------------------------------------------------------
def _read_ogb_folder(folder: Path) -> dict:
    def ints(rel):
        return pd.read_csv(folder / rel, header=None).to_numpy(np.int64)

    out = {f: ints(f"raw/{f}.csv.gz") for f in RAW_FILES if f != "graph-label"}
    out["graph-label"] = pd.read_csv(folder / "raw" / "graph-label.csv.gz", header=None).to_numpy(np.float64)
    out["split"] = {p: ints(f"split/scaffold/{p}.csv.gz")[:, 0] for p in SPLIT_PARTS}
    out["mapping"] = pd.read_csv(folder / "mapping" / "mol.csv.gz")
    return out


def _per_molecule(arr: np.ndarray, counts: np.ndarray) -> List[np.ndarray]:
    return np.split(arr, np.cumsum(counts)[:-1])


def validate_builder_on_bace(root: Optional[Union[str, Path]] = None) -> dict:
    """Rebuild ogbg-molbace with OUR builder from the SMILES of its official ``mapping/mol.csv.gz``
    and compare with the official files.

    Returns counts: ``n_official``, ``n_rebuilt``, ``n_dropped``; per-molecule mismatches
    ``num_nodes_mismatch``, ``node_feat_mismatch``, ``edge_index_mismatch``, ``edge_feat_mismatch``,
    ``label_mismatch``; ``split_agree`` (molecules in the same part), ``split_sizes_official`` /
    ``split_sizes_rebuilt``, ``split_disagree`` (up to 50 indices), and ``identical_files`` (each
    file's decompressed text equal). Temporary files go under ``root`` (default
    ``data_root()/"ogb"``) and are removed.
    """
    spec = SPECS["ogbg-molbace"]
    root = Path(root) if root is not None else data_root() / "ogb"
    root.mkdir(parents=True, exist_ok=True)
    zip_path = fetch(spec.source)
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".validate-bace-"))
    try:
        official_dir = tmp / "official"
        _unpack_official(zip_path, official_dir, "bace")
        off = _read_ogb_folder(official_dir)
        mapping = off["mapping"]
        label_names = [c for c in mapping.columns if c not in ("smiles", "mol_id")]
        rebuilt_dir = tmp / "rebuilt"
        report = build_molecule_folder(
            mapping["smiles"].tolist(),
            mapping[label_names].to_numpy(np.float64),
            rebuilt_dir,
            label_names=label_names,
            mol_ids=mapping["mol_id"].tolist(),
            desc="bace validation",
        )
        ours = _read_ogb_folder(rebuilt_dir)
        identical = {}
        for rel in (
            [f"raw/{f}.csv.gz" for f in RAW_FILES]
            + [f"split/scaffold/{p}.csv.gz" for p in SPLIT_PARTS]
            + ["mapping/mol.csv.gz"]
        ):
            with gzip.open(official_dir / rel, "rb") as a, gzip.open(rebuilt_dir / rel, "rb") as b:
                identical[rel] = a.read() == b.read()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    n_off = len(off["num-node-list"])
    result = {
        "n_official": n_off,
        "n_rebuilt": report["n_kept"],
        "n_dropped": report["n_dropped"],
        "identical_files": identical,
    }
    if report["n_dropped"]:
        # molecule-wise comparison needs a one-to-one match; report and stop there
        result["dropped"] = report["dropped"]
        return result
    nn_o, nn_r = off["num-node-list"][:, 0], ours["num-node-list"][:, 0]
    ne_o, ne_r = off["num-edge-list"][:, 0], ours["num-edge-list"][:, 0]
    per = {
        "node_feat": (_per_molecule(off["node-feat"], nn_o), _per_molecule(ours["node-feat"], nn_r)),
        "edge_index": (_per_molecule(off["edge"], ne_o), _per_molecule(ours["edge"], ne_r)),
        "edge_feat": (_per_molecule(off["edge-feat"], ne_o), _per_molecule(ours["edge-feat"], ne_r)),
    }
    result["num_nodes_mismatch"] = int((nn_o != nn_r).sum())
    result["num_edges_mismatch"] = int((ne_o != ne_r).sum())
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
