r"""Neural fingerprint convolution of Duvenaud et al., "Convolutional Networks on Graphs for Learning
Molecular Fingerprints" (NeurIPS 2015, https://arxiv.org/abs/1509.09292), Algorithm 2, written as a
``torch_geometric.nn.MessagePassing`` layer."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import degree


class NFPConv(MessagePassing):
    r"""One layer of the neural graph fingerprint: neighbour atom and bond features are summed, then a weight
    matrix chosen by the atom's degree is applied (Algorithm 2, lines 6-8):

    .. math::
        \mathbf{v}_a = \sum_{i \in \mathcal{N}(a)} \big[\, \mathbf{r}_i \,\|\, \mathbf{e}_{ai} \,\big],
        \qquad
        \mathbf{r}'_a = \mathbf{W}_{\mathrm{self}}\, \mathbf{r}_a + \mathbf{H}^{(\deg a)}\, \mathbf{v}_a
        + \mathbf{b}

    :math:`\mathbf{H}^{(d)}` is a separate matrix for each degree :math:`d = 0, \dots, D` (degrees above
    :math:`D` share :math:`\mathbf{H}^{(D)}`). The paper adds the atom's own state to the sum and applies one
    matrix; like the authors' code we give the atom's own state its own matrix
    :math:`\mathbf{W}_{\mathrm{self}}`, which contains the paper's form as a special case. The nonlinearity
    (and the code's batch normalisation) is applied by the model, after the layer.

    Args:
        in_channels (int): size of the atom states :math:`\mathbf{r}`.
        out_channels (int): size of the new atom states.
        edge_channels (int): size of the bond features :math:`\mathbf{e}`.
        max_degree (int, optional): :math:`D`, the largest degree with its own matrix. (default: :obj:`5`)
        bias (bool, optional): learn :math:`\mathbf{b}`. (default: :obj:`True`)

    Shapes:
        - **input:** atom states :math:`(|\mathcal{V}|, F_{in})`, edge indices :math:`(2, |\mathcal{E}|)`
          (both directions of each bond), bond features :math:`(|\mathcal{E}|, F_e)`
        - **output:** atom states :math:`(|\mathcal{V}|, F_{out})`
    """

    def __init__(self, in_channels: int, out_channels: int, edge_channels: int, max_degree: int = 5,
                 bias: bool = True):
        super().__init__(aggr="add")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.edge_channels = edge_channels
        self.max_degree = max_degree
        self.self_weight = nn.Linear(in_channels, out_channels, bias=bias)
        self.degree_weights = nn.Parameter(torch.empty(max_degree + 1, in_channels + edge_channels, out_channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.self_weight.reset_parameters()
        bound = (self.in_channels + self.edge_channels) ** -0.5
        nn.init.uniform_(self.degree_weights, -bound, bound)  # nn.Linear's default scale, per degree

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> Tensor:
        summed = self.propagate(edge_index, x=x, edge_attr=edge_attr)  # v_a, (atoms, F_in + F_e)
        deg = degree(edge_index[1], x.size(0), dtype=torch.long).clamp(max=self.max_degree)
        out = self.self_weight(x)
        neighbour = torch.zeros_like(out)
        for d in range(self.max_degree + 1):  # one small matmul per degree
            mask = deg == d
            if mask.any():
                neighbour[mask] = summed[mask] @ self.degree_weights[d]
        return out + neighbour

    def message(self, x_j: Tensor, edge_attr: Tensor) -> Tensor:
        return torch.cat([x_j, edge_attr], dim=-1)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"edge_channels={self.edge_channels}, max_degree={self.max_degree})")
