"""Graph classifiers (DGL backbones) used by the examples and benchmarks."""
from .ciga import CIGAModel
from .gnn import GNNClassifier
from .ogb_mol import OGBMolGNN

__all__ = ["GNNClassifier", "OGBMolGNN", "CIGAModel"]
