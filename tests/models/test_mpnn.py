import torch
from torch_geometric.data import Batch, Data
from torch_geometric.nn.aggr import Set2Set

from zoo.models.mpnn import MPNN, complete_edges
from zoo.registry import create_model


def _molecule(n, seed):
    g = torch.Generator().manual_seed(seed)
    edge_index = torch.tensor([[i for i in range(n - 1)] + [i + 1 for i in range(n - 1)],
                               [i + 1 for i in range(n - 1)] + [i for i in range(n - 1)]])
    return Data(x=torch.rand(n, 16, generator=g), pos=torch.randn(n, 3, generator=g), edge_index=edge_index,
                edge_attr=torch.eye(4)[torch.randint(0, 4, (edge_index.size(1),), generator=g)])


def test_complete_edges_match_brute_force():
    batch = Batch.from_data_list([_molecule(3, 0), _molecule(1, 1), _molecule(4, 2)])
    edge_index, attr = complete_edges(batch.edge_index, batch.edge_attr, batch.batch)
    expected = {(i, j) for i in range(8) for j in range(8) if i != j and batch.batch[i] == batch.batch[j]}
    assert {tuple(e) for e in edge_index.t().tolist()} == expected and edge_index.size(1) == len(expected)
    bonds = {tuple(e): a for e, a in zip(batch.edge_index.t().tolist(), batch.edge_attr)}
    for e, a in zip(edge_index.t().tolist(), attr):
        torch.testing.assert_close(a, bonds.get(tuple(e), torch.zeros(4)))


def test_forward_shapes_units_and_permutation_invariance():
    torch.manual_seed(0)
    model = create_model("mpnn", hidden_channels=8, edge_hidden=8, out_channels=2).eval()
    assert isinstance(model.readout, Set2Set)  # PyG's set2set is the readout
    assert sum(isinstance(m, torch.nn.GRU) for m in model.modules()) == 1  # one GRU, tied over the T steps
    mol = _molecule(5, 3)
    batch = Batch.from_data_list([mol, _molecule(2, 4)])
    out = model(batch)
    assert out.shape == (2, 2)
    model.target_mean.fill_(10.0)
    model.target_std.fill_(2.0)
    torch.testing.assert_close(model(batch), out * 2 + 10)  # un-standardised in physical units
    perm = torch.tensor([4, 2, 0, 1, 3])
    inverse = torch.argsort(perm)
    permuted = Data(x=mol.x[perm], pos=mol.pos[perm], edge_index=inverse[mol.edge_index], edge_attr=mol.edge_attr)
    torch.testing.assert_close(model(Batch.from_data_list([permuted])), model(Batch.from_data_list([mol])))


def test_bond_graph_variant_and_predict_smiles():
    torch.manual_seed(0)
    model = MPNN(hidden_channels=8, edge_hidden=8, complete_graph=False, target_names=["mu"], units=["D"])
    pred = model.predict_smiles(["CCO", "O=C=O"])
    assert pred.shape == (2, 1) and torch.isfinite(pred).all()
    again = model.predict_smiles(["CCO", "O=C=O"])
    torch.testing.assert_close(pred, again)  # the conformer seed is fixed
