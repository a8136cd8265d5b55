"""Graph classifiers (DGL backbones) used by the examples and benchmarks."""
from .gnn import GNNClassifier

__all__ = ["GNNClassifier"]
