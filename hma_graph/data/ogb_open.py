"""Open an OGB-format molecule folder with ogb's ``DglGraphPropPredDataset``, never downloading.

:func:`open_ogb_folder` hands the folder to ogb through its ``meta_dict`` argument (values from
ogb's ``master.csv``, :func:`ogb_meta_dict`), so ogb never downloads, never prompts and never
switches to a ``*_dgl`` folder. A ``processed/`` cache that DGL cannot read (a process killed while
ogb rewrote it) is rebuilt once from ``raw/``, with a warning. ogb's console output on a first load
("Loading necessary files...", tqdm bars) goes to the debug log. The folder itself is written by
:mod:`.ogb_folder`.
"""
from __future__ import annotations

import contextlib
import io
import logging
import shutil
import warnings
from pathlib import Path
from typing import Union

import pandas as pd

__all__ = ["ogb_meta_dict", "open_ogb_folder"]

log = logging.getLogger(__name__)


def ogb_meta_dict(name: str, folder: Path) -> dict:
    """ogb's ``master.csv`` column of ``name`` with ``dir_path`` = ``folder``."""
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
    folder = Path(folder)
    if not (folder / "RELEASE_v1.txt").exists():
        raise FileNotFoundError(f"{folder} has no RELEASE_v1.txt; not an OGB data set folder")
    try:
        return _ogb_dataset(name, folder)
    except Exception as e:  # noqa: BLE001  (DGL raises its own C++ error type for a broken cache)
        processed = folder / "processed"
        if not processed.exists():
            raise
        # processed/ is ogb's cache of raw/; a process killed while ogb rewrote it leaves a file DGL
        # cannot read ("Invalid DGL files"). Rebuild it from raw/ once, and say so.
        warnings.warn(f"{processed} could not be read ({type(e).__name__}: {str(e).splitlines()[0][:200]}); "
                      "rebuilding it from the raw files", RuntimeWarning, stacklevel=2)
        shutil.rmtree(processed)
        try:
            return _ogb_dataset(name, folder)
        except Exception as e2:  # noqa: BLE001
            raise RuntimeError(f"{folder}: ogb cannot load this data set even after rebuilding {processed} "
                               f"({type(e2).__name__}: {e2}); delete {folder} to build it afresh") from e2


def _ogb_dataset(name: str, folder: Path):
    from ogb.graphproppred import DglGraphPropPredDataset

    out = io.StringIO()  # ogb prints "Processing..." and tqdm bars (to stderr) on a first load: logged instead
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            # ogb wraps a read-only numpy array; harmless, and not ours to fix
            warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
            return DglGraphPropPredDataset(name, meta_dict=ogb_meta_dict(name, folder))
    finally:
        if out.getvalue().strip():
            log.debug("ogb output while opening %s:\n%s", folder, out.getvalue())
