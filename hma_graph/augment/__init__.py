"""Graph augmentations of the in-distribution baselines (the paper's Table 4; docs/PROTOCOLS.md, E):
structure perturbations (:mod:`.structure`: DropEdge, DropNode, random-walk subgraphs, and the
per-graph training transform built from a config), mixing (:mod:`.mixup`: Manifold Mixup of
pooled embeddings, G-Mixup's class graphons) and G-Mixup's recipe (:mod:`.gmixup`)."""
from .gmixup import class_graphons, gmixup, graphon_resolution
from .mixup import estimate_graphon, manifold_mixup, mix_graphons, sample_graphs, sorted_adjacency, usvt
from .structure import TRANSFORMS, drop_edges, drop_nodes, random_walk_subgraph, training_transform

__all__ = ["drop_edges", "drop_nodes", "random_walk_subgraph", "training_transform", "TRANSFORMS",
           "manifold_mixup", "sorted_adjacency", "usvt", "estimate_graphon", "mix_graphons", "sample_graphs",
           "gmixup", "class_graphons", "graphon_resolution"]
