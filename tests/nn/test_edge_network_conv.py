import pytest
import torch
from torch_geometric.nn import NNConv

from zoo.nn.edge_network_conv import EdgeNetworkConv


class _Transposed(torch.nn.Module):
    """NNConv reads its network's output as (in, out); ours as (out, in): same network, transposed view."""

    def __init__(self, net, d_in, d_out):
        super().__init__()
        self.net, self.d_in, self.d_out = net, d_in, d_out

    def forward(self, e):
        return self.net(e).view(-1, self.d_out, self.d_in).transpose(1, 2).reshape(e.size(0), -1)


def _graph(num_nodes=7, num_edges=20, edge_dim=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=g)
    return torch.randn(num_nodes, 6, generator=g), edge_index, torch.randn(num_edges, edge_dim, generator=g)


@pytest.mark.parametrize("aggr", ["mean", "add"])
def test_matches_pyg_nnconv(aggr):
    torch.manual_seed(0)
    x, edge_index, edge_attr = _graph()
    ours = EdgeNetworkConv(6, 4, edge_channels=5, edge_hidden=8, aggr=aggr, root_weight=True, bias=True)
    with torch.no_grad():
        ours.bias.normal_()
    theirs = NNConv(6, 4, _Transposed(ours.edge_network, 6, 4), aggr=aggr, root_weight=True, bias=False)
    theirs.lin.weight.data.copy_(ours.root.weight)
    expected = theirs(x, edge_index, edge_attr) + ours.bias
    torch.testing.assert_close(ours(x, edge_index, edge_attr), expected)


def test_message_is_edge_matrix_times_sender_state():
    torch.manual_seed(0)
    conv = EdgeNetworkConv(3, 2, edge_channels=1, edge_hidden=4, bias=False)
    x = torch.randn(2, 3)
    edge_index = torch.tensor([[0], [1]])  # 0 -> 1
    e = torch.randn(1, 1)
    out = conv(x, edge_index, e)
    a = conv.edge_matrices(e)[0]
    torch.testing.assert_close(out[1], a @ x[0])
    torch.testing.assert_close(out[0], torch.zeros(2))  # node 0 receives nothing
    torch.testing.assert_close(conv(x, edge_index, edge_matrices=conv.edge_matrices(e)), out)


def test_reset_and_repr():
    conv = EdgeNetworkConv(4, 4, edge_channels=5)
    before = conv.edge_network[0].weight.clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.edge_network[0].weight)
    assert "EdgeNetworkConv(4, 4" in repr(conv)
    with pytest.raises(ValueError, match="edge_attr"):
        conv(torch.zeros(2, 4), torch.tensor([[0], [1]]))
