"""Message-passing layers in PyG style (one conv per file). Nothing here imports Lightning."""

from zoo.nn.gcn_conv import GCNConv

__all__ = ["GCNConv"]
