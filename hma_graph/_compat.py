"""Make ``import dgl`` (2.1.0) and ``import ogb`` work on PyTorch releases DGL was not built for.

DGL 2.1.0 ships its GraphBolt native library only for torch 2.0.0-2.2.1 and imports
``dgl.graphbolt`` eagerly, so ``import dgl`` raises on torch 2.13 (FileNotFoundError for
``libgraphbolt_pytorch_2.13.0.so``, or ModuleNotFoundError for ``torchdata.datapipes``, which
torchdata 0.11 removed). Upstream: dmlc/dgl issues 7247, 7822, 7835, 7438, 7450.

:func:`install` decides from files alone, without importing dgl:

* if dgl's ``graphbolt/`` folder exists but holds no library for the running torch version, a
  placeholder module is registered as ``dgl.graphbolt`` in ``sys.modules``. It has an empty
  ``__path__`` and every attribute access raises :class:`GraphBoltUnavailable` (an
  ``AttributeError``) naming the dgl and torch versions. GraphBolt is DGL's new sampling
  pipeline; nothing in hma_graph uses it;
* where the native library exists (torch 2.0-2.2.1) or dgl has no graphbolt (dgl 1.x), or dgl is
  not installed, it changes nothing about dgl;
* sets ``DGLBACKEND=pytorch`` if unset (otherwise a fresh HOME gets a notice and a config file);
* puts ``None`` at ``sys.modules['outdated']`` if that package is not yet imported, which stops
  ``import ogb`` from starting threads that query the package index (we run offline).

It must run before anything imports dgl or ogb: ``hma_graph/__init__.py`` calls it first, and the
tests' ``conftest.py`` imports ``hma_graph`` first. Importing ogb before the fix shows up only as
``cannot import name 'DglGraphPropPredDataset'`` (ogb swallows the dgl ImportError).
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Optional

__all__ = ["install", "GraphBoltUnavailable", "graphbolt_library_name", "needs_graphbolt_stub"]


class GraphBoltUnavailable(AttributeError):
    """Raised on any use of ``dgl.graphbolt`` when its native library is missing."""


def graphbolt_library_name(torch_version: str, platform: str = sys.platform) -> str:
    """File name DGL looks for, e.g. ``libgraphbolt_pytorch_2.13.0.so`` for ``2.13.0+cpu``."""
    vers = torch_version.split("+", maxsplit=1)[0]
    if platform.startswith("darwin"):
        return f"libgraphbolt_pytorch_{vers}.dylib"
    if platform.startswith("win"):
        return f"graphbolt_pytorch_{vers}.dll"
    return f"libgraphbolt_pytorch_{vers}.so"


def _dgl_package_dir() -> Optional[Path]:
    spec = importlib.util.find_spec("dgl")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def _torch_version() -> Optional[str]:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return None


def needs_graphbolt_stub(dgl_dir: Optional[Path], torch_version: Optional[str]) -> bool:
    """True when ``dgl_dir/graphbolt`` exists but lacks the library for ``torch_version``."""
    if dgl_dir is None or torch_version is None:
        return False
    gb_dir = dgl_dir / "graphbolt"
    if not gb_dir.is_dir():  # dgl 1.x: no graphbolt at all
        return False
    return not (gb_dir / graphbolt_library_name(torch_version)).exists()


class _GraphBoltPlaceholder(types.ModuleType):
    def __init__(self, dgl_version: str, torch_version: str):
        super().__init__("dgl.graphbolt")
        self.__path__ = []  # a package with nothing importable below it
        self.__file__ = None
        self._message = (
            f"dgl.graphbolt is unavailable: dgl {dgl_version} ships no GraphBolt library for "
            f"torch {torch_version} (hma_graph registered this placeholder so that the rest of "
            "dgl imports; see hma_graph/_compat.py). Use dgl.dataloading instead."
        )

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        raise GraphBoltUnavailable(f"{self._message} (asked for dgl.graphbolt.{name})")


def install() -> bool:
    """Apply the fixes described in the module docstring. Idempotent.

    Returns True when the graphbolt placeholder was registered by this call.
    """
    os.environ.setdefault("DGLBACKEND", "pytorch")
    if "outdated" not in sys.modules:
        sys.modules["outdated"] = None  # ogb: no version check over the network
    if "dgl.graphbolt" in sys.modules or "dgl" in sys.modules:
        return False  # too late or already done: leave whatever is there alone
    dgl_dir = _dgl_package_dir()
    torch_version = _torch_version()
    if not needs_graphbolt_stub(dgl_dir, torch_version):
        return False
    try:
        dgl_version = importlib.metadata.version("dgl")
    except importlib.metadata.PackageNotFoundError:
        dgl_version = "?"
    sys.modules["dgl.graphbolt"] = _GraphBoltPlaceholder(dgl_version, torch_version)
    return True
