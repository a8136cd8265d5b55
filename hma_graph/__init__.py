"""hma_graph: Heterogeneous Memory Augmentation (arXiv 2310.10909) for DGL graph classifiers."""
from . import _compat

_compat.install()  # before anything imports dgl or ogb

__version__ = "0.1.0"
