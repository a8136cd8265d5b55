"""Every constructor refuses a bad argument with a message naming it (one table of cases)."""
import pytest
import torch

import hma_graph
from hma_graph.data.loader import GraphLoader
from hma_graph.models import GNNClassifier
from hma_graph.models.ciga import CIGAModel
from hma_graph.models.ogb_mol import OGBMolGNN
from hma_graph.nn.attention import AttentionBlock
from hma_graph.nn.memory import MemoryQueue
from hma_graph.objectives import IBIRM, IRM, VREx, CIGAv1, CIGAv2

CASES = [
    (lambda: hma_graph.HMA(8, 3, num_heads=0), "num_heads"),
    (lambda: hma_graph.HMA(8, 3, memory_size=0), "memory_size"),
    (lambda: hma_graph.HMA(8, 3, slots_per_class=-1), "slots_per_class"),
    (lambda: hma_graph.HMA(8, 3, dropout=1.5), "dropout"),
    (lambda: hma_graph.HMA(0, 3), "feat_dim"),
    (lambda: hma_graph.HMA(8, 0), "num_classes"),
    (lambda: hma_graph.HMA(8, 3, variant="rmx"), "variant"),
    (lambda: hma_graph.HMA(8, 3, block="npt"), "style"),
    (lambda: hma_graph.HMA(8, 3, inference="both"), "inference"),
    (lambda: AttentionBlock(8, 3), "num_heads"),
    (lambda: MemoryQueue(0, 4), "memory size"),
    (lambda: GNNClassifier(0, 2), "in_dim"),
    (lambda: GNNClassifier(4, 2, hidden=0), "hidden"),
    (lambda: GNNClassifier(4, 2, num_layers=0), "num_layers"),
    (lambda: GNNClassifier(4, 2, conv="gat"), "conv"),
    (lambda: GNNClassifier(4, 2, dropout=1.0), "dropout"),
    (lambda: OGBMolGNN(num_layers=1), "num_layers"),
    (lambda: OGBMolGNN(gnn_type="gat"), "gnn_type"),
    (lambda: CIGAModel(4, 2, ratio=0.0), "ratio"),
    (lambda: hma_graph.apply(GNNClassifier(4, 2), momentum=1.5), "momentum"),
    (lambda: hma_graph.apply(GNNClassifier(4, 2), memory_encoder="ema"), "memory_encoder"),
    (lambda: IRM(GNNClassifier(4, 2), penalty_weight=-1), "penalty_weight"),
    (lambda: VREx(GNNClassifier(4, 2), penalty_weight=-1), "penalty_weight"),
    (lambda: IBIRM(GNNClassifier(4, 2), ib_weight=-1), "ib_weight"),
    (lambda: CIGAv1(CIGAModel(4, 2), temperature=0.0), "temperature"),
    (lambda: CIGAv2(CIGAModel(4, 2), beta=-1), "beta"),
    (lambda: GraphLoader([], torch.zeros(0), 4), "empty"),
    (lambda: GraphLoader([1, 2], torch.zeros(2), 0), "batch_size"),
]


@pytest.mark.parametrize("make, name", CASES, ids=[c[1] + f"-{i}" for i, c in enumerate(CASES)])
def test_bad_arguments_are_named(make, name):
    with pytest.raises(ValueError, match=name):
        make()
