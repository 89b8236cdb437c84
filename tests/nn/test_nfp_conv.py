import torch

from zoo.nn.nfp_conv import NFPConv


def test_degree_specific_weights():
    torch.manual_seed(0)
    conv = NFPConv(3, 2, edge_channels=1, max_degree=2)
    # a path 0 - 1 - 2 plus an isolated atom 3: degrees 1, 2, 1, 0
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    edge_attr = torch.tensor([[1.0], [1.0], [2.0], [2.0]])
    x = torch.randn(4, 3)
    out = conv(x, edge_index, edge_attr)
    self_part = conv.self_weight(x)
    v1 = torch.cat([x[0] + x[2], torch.tensor([3.0])])  # atom 1: neighbours 0 and 2, bonds 1 and 2
    torch.testing.assert_close(out[1], self_part[1] + v1 @ conv.degree_weights[2])
    v0 = torch.cat([x[1], torch.tensor([1.0])])
    torch.testing.assert_close(out[0], self_part[0] + v0 @ conv.degree_weights[1])
    torch.testing.assert_close(out[3], self_part[3])  # degree 0: no neighbour term
    assert "max_degree=2" in repr(conv)


def test_permutation_equivariant():
    torch.manual_seed(1)
    conv = NFPConv(5, 4, edge_channels=2)
    x = torch.randn(6, 5)
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 4, 5], [1, 0, 2, 1, 4, 3, 5, 4]])
    edge_attr = torch.randn(8, 2)
    perm = torch.randperm(6)
    inverse = torch.argsort(perm)
    out = conv(x, edge_index, edge_attr)
    out_perm = conv(x[perm], inverse[edge_index], edge_attr)
    torch.testing.assert_close(out_perm, out[perm])
