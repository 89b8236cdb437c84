import torch
from torch_geometric.nn import GCNConv as PyGGCNConv

from zoo.nn import GCNConv


def _pair(in_channels=6, out_channels=4):
    ours, theirs = GCNConv(in_channels, out_channels), PyGGCNConv(in_channels, out_channels)
    with torch.no_grad():
        theirs.lin.weight.copy_(ours.lin.weight)
        ours.bias.copy_(torch.randn(out_channels))
        theirs.bias.copy_(ours.bias)
    return ours, theirs


def test_matches_pyg_gcnconv_numerically():
    torch.manual_seed(0)
    x, edge_index = torch.randn(20, 6), torch.randint(0, 20, (2, 60))
    ours, theirs = _pair()
    torch.testing.assert_close(ours(x, edge_index), theirs(x, edge_index))


def test_matches_pyg_with_edge_weights_and_isolated_nodes():
    torch.manual_seed(1)
    x = torch.randn(12, 6)
    edge_index = torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])  # nodes 4..11 are isolated
    weight = torch.rand(4)
    ours, theirs = _pair()
    torch.testing.assert_close(ours(x, edge_index, weight), theirs(x, edge_index, weight))


def test_normalisation_is_symmetric_with_self_loops():
    conv = GCNConv(1, 1)
    edge_index = torch.tensor([[0, 1], [1, 0]])
    edges, norm = conv.normalise(edge_index, num_nodes=2)
    assert edges.size(1) == 4  # two edges plus two self-loops
    torch.testing.assert_close(norm, torch.full((4,), 0.5))  # every degree is 2: 1/sqrt(2*2)


def test_reset_parameters_and_repr():
    conv = GCNConv(3, 2)
    with torch.no_grad():
        conv.bias.fill_(1.0)
    conv.reset_parameters()
    assert torch.all(conv.bias == 0)
    assert repr(conv) == "GCNConv(3, 2)"
