"""Neural-network building blocks that import no DGL: dropout, attention block, memory, HMA."""
from .dropout import Dropout, dropout

__all__ = ["Dropout", "dropout"]
