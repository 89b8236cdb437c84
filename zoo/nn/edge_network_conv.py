r"""Edge network message of Gilmer et al., "Neural Message Passing for Quantum Chemistry" (ICML 2017,
https://arxiv.org/abs/1704.01212), Section 5.1, written as a ``torch_geometric.nn.MessagePassing`` layer."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch_geometric.nn import MessagePassing


class EdgeNetworkConv(MessagePassing):
    r"""The edge network message function: each neighbour :math:`w` sends :math:`A(e_{vw})\, h_w`, where a
    neural network :math:`A` maps the edge features to a :math:`d_{out} \times d_{in}` matrix:

    .. math::
        \mathbf{m}_v = \bigoplus_{w \in \mathcal{N}(v)} A(\mathbf{e}_{vw})\, \mathbf{h}_w
        \;+\; \mathbf{\Theta}\, \mathbf{h}_v \;+\; \mathbf{b},
        \qquad A(\mathbf{e}) = \mathrm{reshape}_{d_{out} \times d_{in}}\big(
        \mathbf{W}_2\, \mathrm{ReLU}(\mathbf{W}_1 \mathbf{e} + \mathbf{c}_1) + \mathbf{c}_2\big)

    with :math:`\bigoplus` a sum (the paper) or mean, and the root term :math:`\mathbf{\Theta} \mathbf{h}_v`
    optional (off in the paper, where the GRU update sees :math:`\mathbf{h}_v`; on in PyG's ``NNConv``).
    With ``root_weight=True`` and ``aggr="mean"`` this computes the same function as
    ``torch_geometric.nn.NNConv`` (whose network output is read as the transposed matrix).

    Args:
        in_channels (int): size :math:`d_{in}` of the node states.
        out_channels (int): size :math:`d_{out}` of the messages.
        edge_channels (int): size of the edge features :math:`\mathbf{e}_{vw}`.
        edge_hidden (int, optional): hidden width of the network :math:`A`. (default: :obj:`128`)
        aggr (str, optional): ``"add"`` (paper) or ``"mean"``. (default: :obj:`"add"`)
        root_weight (bool, optional): add :math:`\mathbf{\Theta}\, \mathbf{h}_v`. (default: :obj:`False`)
        bias (bool, optional): add :math:`\mathbf{b}`. (default: :obj:`True`)

    Shapes:
        - **input:** node states :math:`(|\mathcal{V}|, d_{in})`, edge indices :math:`(2, |\mathcal{E}|)`
          (row 0 the sender :math:`w`, row 1 the receiver :math:`v`), edge features
          :math:`(|\mathcal{E}|, F_e)`
        - **output:** messages :math:`(|\mathcal{V}|, d_{out})`
    """

    def __init__(self, in_channels: int, out_channels: int, edge_channels: int, edge_hidden: int = 128,
                 aggr: str = "add", root_weight: bool = False, bias: bool = True):
        super().__init__(aggr=aggr)
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.edge_channels = edge_channels
        self.edge_network = nn.Sequential(nn.Linear(edge_channels, edge_hidden), nn.ReLU(),
                                          nn.Linear(edge_hidden, out_channels * in_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None  # no RNG drawn: init order kept
        self.root = nn.Linear(in_channels, out_channels, bias=False) if root_weight else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        for layer in self.edge_network:
            if isinstance(layer, nn.Linear):
                layer.reset_parameters()
        if self.root is not None:
            self.root.reset_parameters()
        if self.bias is not None:
            nn.init.zeros_(self.bias)

    def edge_matrices(self, edge_attr: Tensor) -> Tensor:
        """:math:`A(\\mathbf{e})` for every edge: ``(|E|, d_out, d_in)``."""
        return self.edge_network(edge_attr).view(-1, self.out_channels, self.in_channels)

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor | None = None,
                edge_matrices: Tensor | None = None) -> Tensor:
        """Pass ``edge_attr``, or ``edge_matrices = self.edge_matrices(edge_attr)`` computed once and reused
        over several steps (the MPNN ties the weights over its T steps, so :math:`A(e)` does not change)."""
        if edge_matrices is None:
            if edge_attr is None:
                raise ValueError("EdgeNetworkConv needs edge_attr or precomputed edge_matrices")
            edge_matrices = self.edge_matrices(edge_attr)
        out = self.propagate(edge_index, x=x, edge_matrices=edge_matrices)
        if self.root is not None:
            out = out + self.root(x)
        if self.bias is not None:
            out = out + self.bias
        return out

    def message(self, x_j: Tensor, edge_matrices: Tensor) -> Tensor:
        return torch.bmm(edge_matrices, x_j.unsqueeze(-1)).squeeze(-1)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, "
                f"edge_channels={self.edge_channels}, aggr={self.aggr})")
