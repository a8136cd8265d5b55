"""Graph classifiers (DGL backbones) used by the examples and benchmarks."""
from .gnn import GNNClassifier
from .ogb_mol import OGBMolGNN

__all__ = ["GNNClassifier", "OGBMolGNN"]
