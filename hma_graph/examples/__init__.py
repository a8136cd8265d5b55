"""Runnable examples. ``python -m hma_graph`` runs :mod:`hma_graph.examples.ood_quick` (the main
job); :mod:`hma_graph.examples.quickstart` is the one-model GIN vs GIN+HMA example."""
