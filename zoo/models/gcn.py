"""Two-layer GCN for semi-supervised node classification.

Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional Networks", ICLR 2017
(https://arxiv.org/abs/1609.02907). The model is eq. 9 of the paper:

    Z = softmax( Â ReLU( Â X W0 ) W1 ),   Â = D̂^{-1/2} (A + I) D̂^{-1/2}

with dropout on the input of both layers. ``forward`` returns the logits (the softmax lives in the loss).
Paper setup: 16 hidden units, dropout 0.5, L2 5e-4 on the first layer only, Adam lr 0.01, 200 epochs.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from zoo.nn import GCNConv
from zoo.registry import register_model


@register_model("gcn")
class GCN(nn.Module):
    """Args:
    in_channels: node feature size (Cora 1433, CiteSeer 3703).
    out_channels: number of classes (Cora 7, CiteSeer 6).
    hidden_channels: width of the hidden layer (paper: 16).
    dropout: dropout rate on the input of each layer (paper: 0.5).
    """

    def __init__(self, in_channels: int, out_channels: int, hidden_channels: int = 16, dropout: float = 0.5):
        super().__init__()
        self.dropout = dropout
        self.conv1 = GCNConv(in_channels, hidden_channels)
        self.conv2 = GCNConv(hidden_channels, out_channels)

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = F.dropout(x, self.dropout, self.training)
        x = F.relu(self.conv1(x, edge_index))
        x = F.dropout(x, self.dropout, self.training)
        return self.conv2(x, edge_index)

    def regularised_parameters(self) -> list[nn.Parameter]:
        """The parameters the paper applies weight decay to: the first layer only."""
        return list(self.conv1.parameters())
