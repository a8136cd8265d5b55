"""``python -m hma_graph``: the main job, an OOD comparison on Spurious-Motif (see
:mod:`hma_graph.examples.ood_quick`). The one-model example is ``python -m hma_graph.examples.quickstart``."""
from .examples.ood_quick import main

main()
