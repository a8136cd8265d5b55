"""Make ``import dgl`` work whatever the import order: a one-shot import hook.

Installed as ``_hma_graph_dgl_hook.py`` next to a ``hma_graph_dgl_hook.pth`` in site-packages
(``setup.py`` writes both, for wheels and editable installs). At interpreter start-up the ``.pth``
line imports this module, which only puts :class:`DGLImportHook` on ``sys.meta_path``: no torch,
no dgl, nothing else is imported, so start-up is unchanged.

The first time anything imports ``dgl`` or ``ogb``, the hook removes itself and imports
``hma_graph``, whose ``__init__`` runs :func:`hma_graph._compat.install` (and imports nothing
else), then lets the normal import of dgl/ogb go on. So ``import dgl`` before ``import hma_graph``
works on torch releases DGL was not built for. Any failure inside the hook is swallowed: it can
only ever leave the import as it would have been without it.
"""
from __future__ import annotations

import sys

__all__ = ["DGLImportHook", "install"]

TRIGGERS = ("dgl", "ogb")


class DGLImportHook:
    """A ``sys.meta_path`` finder that finds nothing; it runs the compat shim once, before dgl/ogb."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in TRIGGERS:
            return None
        remove()
        try:
            import hma_graph  # noqa: F401  (its __init__ installs the shim and imports nothing else)
        except Exception:  # pragma: no cover - never make an import worse than without the hook
            pass
        return None


def install() -> DGLImportHook:
    """Put one hook on ``sys.meta_path`` (first place) unless one is there already."""
    for finder in sys.meta_path:
        if isinstance(finder, DGLImportHook) or type(finder).__name__ == "DGLImportHook":
            return finder
    hook = DGLImportHook()
    sys.meta_path.insert(0, hook)
    return hook


def remove() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != "DGLImportHook"]


if "hma_graph" not in sys.modules and "dgl" not in sys.modules:
    install()
