r"""Graph convolution of Kipf & Welling, "Semi-Supervised Classification with Graph Convolutional Networks"
(ICLR 2017, https://arxiv.org/abs/1609.02907), written as a ``torch_geometric.nn.MessagePassing`` layer."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import add_remaining_self_loops, scatter


class GCNConv(MessagePassing):
    r"""The first-order spectral graph convolution (renormalisation trick, Kipf & Welling 2017, eq. 2):

    .. math::
        \mathbf{X}' = \hat{\mathbf{D}}^{-1/2} \hat{\mathbf{A}} \hat{\mathbf{D}}^{-1/2} \mathbf{X} \mathbf{\Theta}
        + \mathbf{b}, \qquad \hat{\mathbf{A}} = \mathbf{A} + \mathbf{I}, \quad
        \hat{D}_{ii} = \textstyle\sum_j \hat{A}_{ij}

    Node-wise: :math:`\mathbf{x}'_i = \sum_{j \in \mathcal{N}(i) \cup \{i\}}
    \frac{e_{ji}}{\sqrt{\hat d_j \hat d_i}} \mathbf{\Theta}^\top \mathbf{x}_j + \mathbf{b}`, where
    :math:`e_{ji}` is the edge weight (1 by default) and :math:`\hat d_i = 1 + \sum_j e_{ji}`.

    Args:
        in_channels (int): size of each input node feature.
        out_channels (int): size of each output node feature.
        add_self_loops (bool, optional): add :math:`\mathbf{I}` to the adjacency. (default: :obj:`True`)
        bias (bool, optional): learn an additive bias :math:`\mathbf{b}`. (default: :obj:`True`)

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, edge indices :math:`(2, |\mathcal{E}|)`,
          optional edge weights :math:`(|\mathcal{E}|)`
        - **output:** node features :math:`(|\mathcal{V}|, F_{out})`
    """

    def __init__(self, in_channels: int, out_channels: int, add_self_loops: bool = True, bias: bool = True):
        super().__init__(aggr="add")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.add_self_loops = add_self_loops
        self.lin = nn.Linear(in_channels, out_channels, bias=False)
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        nn.init.xavier_uniform_(self.lin.weight)  # Glorot & Bengio (2010) initialisation, as in the paper
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def normalise(self, edge_index: Tensor, num_nodes: int, edge_weight: Tensor | None = None):
        """Return the edges with self-loops and their weights :math:`e_{ji} / \\sqrt{\\hat d_j \\hat d_i}`."""
        if edge_weight is None:
            edge_weight = torch.ones(edge_index.size(1), device=edge_index.device)
        if self.add_self_loops:
            edge_index, edge_weight = add_remaining_self_loops(edge_index, edge_weight, 1.0, num_nodes)
        source, target = edge_index
        degree = scatter(edge_weight, target, dim=0, dim_size=num_nodes, reduce="sum")
        inv_sqrt = degree.pow(-0.5).masked_fill(degree == 0, 0.0)
        return edge_index, inv_sqrt[source] * edge_weight * inv_sqrt[target]

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Tensor | None = None) -> Tensor:
        edge_index, norm = self.normalise(edge_index, x.size(0), edge_weight)
        out = self.propagate(edge_index, x=self.lin(x), norm=norm)
        return out + self.bias if self.bias is not None else out

    def message(self, x_j: Tensor, norm: Tensor) -> Tensor:
        return norm.unsqueeze(-1) * x_j

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.out_channels})"
