"""Message-passing layers in PyG style (one conv per file). Nothing here imports Lightning."""

from zoo.nn.edge_network_conv import EdgeNetworkConv
from zoo.nn.gcn_conv import GCNConv
from zoo.nn.nfp_conv import NFPConv

__all__ = ["EdgeNetworkConv", "GCNConv", "NFPConv"]
