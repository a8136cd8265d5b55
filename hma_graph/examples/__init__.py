"""Runnable examples; ``python -m hma_graph`` runs :mod:`hma_graph.examples.quickstart`."""
