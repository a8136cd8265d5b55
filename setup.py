from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel


def _hook_files():
    """site-packages files that let `import dgl` work before `import hma_graph` (hma_graph/_dgl_hook.py)."""
    hook = Path(__file__).with_name("hma_graph") / "_dgl_hook.py"
    return {"_hma_graph_dgl_hook.py": hook.read_text(encoding="utf-8"),
            "hma_graph_dgl_hook.pth": "import _hma_graph_dgl_hook\n"}


class BuildPy(build_py):
    """Wheels: the hook files go to the root of site-packages."""

    def run(self):
        super().run()
        if not getattr(self, "editable_mode", False):
            for name, text in _hook_files().items():
                Path(self.build_lib, name).write_text(text, encoding="utf-8")


class _WithHook:
    """Editable installs: wrap setuptools' strategy so the wheel also holds the hook files."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, wheel, files, mapping):
        self.inner(wheel, files, mapping)
        for name, text in _hook_files().items():
            wheel.writestr(name, text.encode("utf-8"))

    def __enter__(self):
        self.inner.__enter__()
        return self

    def __exit__(self, *exc):
        return self.inner.__exit__(*exc)


class EditableWheel(editable_wheel):
    def _select_strategy(self, *args, **kwargs):
        return _WithHook(super()._select_strategy(*args, **kwargs))


setup(
    name="hma_graph",
    version="0.1.0",
    description="Heterogeneous Memory Augmentation (arXiv 2310.10909) for DGL graph classifiers",
    long_description=Path(__file__).with_name("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    packages=find_packages(include=["hma_graph", "hma_graph.*"]),
    package_data={"hma_graph": ["data/*.csv", "data/*.json", "experiments/*.json"]},
    python_requires=">=3.9",
    # Lower bounds only: the tested, pinned set is requirements.txt. Install it in the same pip
    # command as this package (`pip install -r requirements.txt -e .`) so torch stays pinned.
    install_requires=[
        "torch>=2.0",
        "dgl>=1.1",
        "packaging",  # imported by dgl.utils, undeclared by dgl
        "pandas",  # imported by dgl, undeclared by dgl
        "numpy<2.4",  # dgl.data.TUDataset fails with numpy >= 2.4
        "scipy",
        "networkx",
        "ogb>=1.3.6",
        "rdkit",
        "scikit-learn",
        "tqdm",
        "matplotlib",
        "torchmetrics",  # metrics computed on the tensors' device
    ],
    cmdclass={"build_py": BuildPy, "editable_wheel": EditableWheel},
    extras_require={"test": ["pytest"], "benchmarks": ["ray>=2.9", "optuna>=4"]},
)
