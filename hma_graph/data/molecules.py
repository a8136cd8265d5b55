"""OGB molecule benchmarks ogbg-molbace, ogbg-molbbbp, ogbg-molhiv, built once, cached, loaded offline.

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

* ogbg-molbace: OGB's own artifact ``ogb/bace.zip``, unpacked as is
  (:func:`hma_graph.data.ogb_folder.unpack_official`).
* ogbg-molbbbp / ogbg-molhiv: the MoleculeNet CSVs (``BBBP.csv`` column ``p_np``, ``HIV.csv``
  column ``HIV_active``; SMILES column ``smiles``), turned into OGB's raw format by
  :func:`hma_graph.data.ogb_folder.build_molecule_folder` with the rules OGB used (RDKit parsing,
  ``smiles2graph``, Murcko scaffolds with chirality and the deterministic scaffold split of
  :mod:`hma_graph.data.scaffold`). The builder is checked against OGB's own bace files by
  ``tests/data/_bace_validation.py`` (test ``test_validate_builder_on_bace``).

The data set lives in ``<root>/ogbg_molX/`` in the layout of :mod:`hma_graph.data.ogb_folder`,
plus our stamp ``hma_build.json``.

Cache: the stamp holds a key = :func:`hma_graph.data.cache.cache_key` of (builder version, the
source's registered SHA-256, the data set's :class:`MoleculeSpec`, RDKit and ogb versions) and the
build report (rows read, kept, dropped with row/SMILES/reason, split sizes, build time). A folder
whose stamp carries the current key is reused (ogb then loads its ``processed/`` cache); otherwise,
or with ``rebuild=True``, it is rebuilt. A build happens in a temporary sibling folder, including
ogb's own processing, and is renamed into place only when complete.

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
import json
import logging
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
import pandas as pd

from .._atomic import write_text_atomic
from .cache import cache_key, load_json_cache
from .fetch import SOURCES, data_root, fetch
from .ogb_folder import (BUILDER_VERSION, build_molecule_folder, ogb_meta_dict, open_ogb_folder,
                         unpack_official)
from .scaffold import murcko_scaffold, scaffold_split, split_by_scaffold

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
]

log = logging.getLogger(__name__)

STAMP = "hma_build.json"


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
    return cache_key(payload)  # one part: sha256 of json.dumps(payload, sort_keys=True)


def _read_source_csv(spec: MoleculeSpec, src: Path) -> Tuple[List, np.ndarray]:
    """``(smiles, labels)`` of a MoleculeNet CSV: the SMILES column and the float64 label columns."""
    df = pd.read_csv(src)
    cols = [spec.smiles_column, *spec.label_columns]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{src}: columns {missing} not found (has {list(df.columns)})")
    try:
        labels = df[list(spec.label_columns)].apply(pd.to_numeric).to_numpy(np.float64)
    except (ValueError, TypeError) as e:
        raise ValueError(f"{src}: non-numeric label in columns {list(spec.label_columns)}: {e}") from e
    return df[spec.smiles_column].tolist(), labels


def _make_folder(spec: MoleculeSpec, src: Path, work: Path) -> dict:
    """Write the OGB raw folder ``work`` from the verified source ``src``; return the build report."""
    if spec.official:
        return unpack_official(src, work, ogb_meta_dict(spec.name, work)["download_name"])
    smiles, labels = _read_source_csv(spec, src)
    return build_molecule_folder(
        smiles,
        labels,
        work,
        label_names=spec.label_columns,
        frac_train=spec.frac_train,
        frac_valid=spec.frac_valid,
        frac_test=spec.frac_test,
        include_chirality=spec.include_chirality,
        desc=spec.name,
    )


def _swap_in(work: Path, folder: Path) -> None:
    """Rename the complete folder ``work`` to ``folder``, replacing (then deleting) an old one."""
    old = None
    if folder.exists():
        old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:8]}"
        os.replace(folder, old)
    os.replace(work, folder)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _log_report(spec: MoleculeSpec, report: dict) -> None:
    msg = (
        f"{spec.name}: built from {spec.source} in {report['total_seconds']:.1f} s: kept {report['n_kept']} of "
        f"{report['n_rows']} molecules, dropped {report['n_dropped']}; split {report['split_sizes']}"
    )
    if report["n_dropped"]:
        msg += "; dropped rows " + ", ".join(f"{d['row']} ({d['reason']})" for d in report["dropped"][:20])
    log.info(msg)


def _build(spec: MoleculeSpec, folder: Path, key: str) -> dict:
    """Build ``folder`` in a temporary sibling (including ogb's processing), then swap it in."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    src = fetch(spec.source)  # checksum-verified (ChecksumError otherwise)
    t0 = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.build-"))
    try:
        work = tmp / folder.name
        report = _make_folder(spec, src, work)
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
        write_text_atomic(work / STAMP, json.dumps(report, indent=1))
        _swap_in(work, folder)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _log_report(spec, report)
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
    stamp = load_json_cache(folder / STAMP)
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
    stamp = load_json_cache(root / _dir_name(name) / STAMP)
    if stamp is None:
        raise FileNotFoundError(f"{name} is not built under {root}; call load_molecule_dataset first")
    return stamp
