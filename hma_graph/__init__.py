"""hma_graph: Heterogeneous Memory Augmentation (arXiv 2310.10909) for DGL graph classifiers.

    model = hma_graph.apply(my_dgl_classifier, num_classes)
    logits = model(g, feats, labels=y)   # training: reads memory, then writes the batch
    logits = model(g, feats)             # model.eval(): prediction, memory untouched

Importing ``hma_graph`` first runs the DGL compatibility shim (``hma_graph._compat``), so that
``import dgl`` and ogb's DGL classes work on torch 2.13. DGL itself is imported lazily: the HMA
layer (``hma_graph.nn``) is plain torch.
"""
from . import _compat

_compat.install()  # before anything imports dgl or ogb

__version__ = "0.1.0"
__all__ = ["apply", "HMAModel", "HMAApplyError", "HMA", "VARIANTS", "inference_mode", "__version__"]


def __getattr__(name):  # PEP 562: keep `import hma_graph` free of DGL
    if name in ("apply", "HMAModel", "HMAApplyError"):
        from . import wrapper

        return getattr(wrapper, name)
    if name in ("HMA", "VARIANTS", "inference_mode"):
        from .nn import hma

        return getattr(hma, name)
    raise AttributeError(f"module 'hma_graph' has no attribute {name!r}")
