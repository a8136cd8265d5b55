"""`import dgl` before `import hma_graph`: the installed start-up hook runs the compat shim first."""
import importlib.metadata
import site
import subprocess
import sys
from pathlib import Path

import pytest

from hma_graph import _dgl_hook


def _installed_pth():
    dirs = site.getsitepackages() + [site.getusersitepackages()]
    return [Path(d) / "hma_graph_dgl_hook.pth" for d in dirs if (Path(d) / "hma_graph_dgl_hook.pth").exists()]


def test_import_dgl_first_in_a_fresh_interpreter(tmp_path):
    try:
        importlib.metadata.distribution("hma_graph")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("hma_graph is not pip-installed here (PYTHONPATH use): the start-up hook is not in place")
    assert _installed_pth(), "pip install put no hma_graph_dgl_hook.pth in site-packages (see setup.py)"
    code = ("import sys; import dgl; g = dgl.graph(([0, 1], [1, 2])); "
            "print(g.num_edges(), 'hma_graph' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["2", "True"]


def test_hook_finds_nothing_and_fires_once_for_dgl(monkeypatch):
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if type(f).__name__ != "DGLImportHook"])
    hook = _dgl_hook.install()
    assert _dgl_hook.install() is hook and sys.meta_path[0] is hook          # one hook, first place
    assert hook.find_spec("json") is None and hook in sys.meta_path         # other modules: untouched
    assert hook.find_spec("dgl.nn") is None and hook in sys.meta_path       # submodules: parent did it
    assert hook.find_spec("dgl") is None and hook not in sys.meta_path      # fired, then gone
    assert "hma_graph" in sys.modules
