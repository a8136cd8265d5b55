"""``python -m hma_graph``: the main job (see README)."""
from .examples.quickstart import main

main()
