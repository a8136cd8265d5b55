"""The DGL compatibility shim: real dgl on torch 2.13, and fake dgl install trees for both cases."""
import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hma_graph import _compat

ROOT = Path(__file__).resolve().parents[1]


def test_real_dgl_and_ogb_import_after_hma_graph():
    code = textwrap.dedent("""
        import hma_graph, dgl, torch
        from ogb.graphproppred import DglGraphPropPredDataset, Evaluator
        g = dgl.graph(([0, 1], [1, 2]))
        import dgl.function as fn
        g.ndata['h'] = torch.ones(3, 2)
        g.update_all(fn.copy_u('h', 'm'), fn.sum('m', 'o'))
        print(g.ndata['o'][:, 0].tolist(), Evaluator('ogbg-molhiv').eval_metric)
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[0.0, 1.0, 1.0] rocauc"


def make_fake_dgl(root: Path, torch_version: str, with_library: bool) -> Path:
    pkg = root / "dgl"
    (pkg / "graphbolt").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from . import graphbolt\nOK = True\n")
    (pkg / "graphbolt" / "__init__.py").write_text(
        "import os\n"
        "if not os.path.exists(os.path.join(os.path.dirname(__file__), "
        f"{_compat.graphbolt_library_name(torch_version)!r})):\n"
        "    raise FileNotFoundError('Cannot find DGL C++ graphbolt library')\n"
        "NATIVE = True\n")
    if with_library:
        (pkg / "graphbolt" / _compat.graphbolt_library_name(torch_version)).write_bytes(b"")
    return root


@pytest.mark.parametrize("with_library", [False, True])
def test_fake_dgl_tree(tmp_path, with_library):
    torch_version = importlib.metadata.version("torch")
    site = make_fake_dgl(tmp_path, torch_version, with_library)
    code = textwrap.dedent("""
        import sys
        import hma_graph
        import dgl
        gb = sys.modules['dgl.graphbolt']
        print(dgl.__file__.startswith(sys.argv[1]), type(gb).__name__)
        if type(gb).__name__ == '_GraphBoltPlaceholder':
            try:
                gb.ItemSampler
            except AttributeError as e:
                print('error:', e)
        else:
            print('native:', gb.NATIVE)
    """)
    env = {"PYTHONPATH": f"{site}:{ROOT}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code, str(site)], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    if with_library:  # native library present: the shim must not interfere
        assert lines == ["True module", "native: True"]
    else:
        assert lines[0] == "True _GraphBoltPlaceholder"
        assert "no GraphBolt library for torch" in lines[1] and "ItemSampler" in lines[1]


def test_decision_rule(tmp_path):
    assert not _compat.needs_graphbolt_stub(None, "2.13.0")  # dgl not installed
    (tmp_path / "dgl1").mkdir()
    assert not _compat.needs_graphbolt_stub(tmp_path / "dgl1", "2.13.0")  # dgl 1.x: no graphbolt
    site = make_fake_dgl(tmp_path / "x", "2.2.1", with_library=True)
    assert not _compat.needs_graphbolt_stub(site / "dgl", "2.2.1+cpu")
    assert _compat.needs_graphbolt_stub(site / "dgl", "2.13.0+cpu")
    assert _compat.graphbolt_library_name("2.13.0+cu121", "linux") == "libgraphbolt_pytorch_2.13.0.so"


def test_layer_import_needs_no_dgl():
    code = "import sys, hma_graph, hma_graph.nn.hma; print('dgl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
