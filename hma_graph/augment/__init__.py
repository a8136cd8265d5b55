"""Graph augmentations of the in-distribution baselines (the paper's Table 4; docs/PROTOCOLS.md, E):
structure perturbations (:mod:`.structure`: DropEdge, DropNode, random-walk subgraphs) and mixing
(:mod:`.mixup`: Manifold Mixup of pooled embeddings, G-Mixup's class graphons)."""
from .mixup import estimate_graphon, manifold_mixup, mix_graphons, sample_graphs, sorted_adjacency, usvt
from .structure import drop_edges, drop_nodes, random_walk_subgraph

__all__ = ["drop_edges", "drop_nodes", "random_walk_subgraph", "manifold_mixup", "sorted_adjacency", "usvt",
           "estimate_graphon", "mix_graphons", "sample_graphs"]
