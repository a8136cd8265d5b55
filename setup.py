from pathlib import Path

from setuptools import find_packages, setup

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
    extras_require={"test": ["pytest"], "benchmarks": ["ray>=2.9", "optuna>=4"]},
)
