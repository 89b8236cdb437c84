import pytest
import torch
from torch_geometric.data import Batch, Data

from zoo.chem import MoleculeError, nfp_graph
from zoo.registry import create_model


def test_fingerprint_is_a_sum_of_softmaxes_over_layers_and_atoms():
    torch.manual_seed(0)
    model = create_model("nfp", hidden_channels=8, num_layers=3, fingerprint_dim=16, mlp_hidden=8).eval()
    batch = Batch.from_data_list([Data(**nfp_graph(s)) for s in ("CCO", "c1ccccc1", "C")])
    f = model.fingerprint(batch)
    assert f.shape == (3, 16)
    # every atom writes a probability vector at each of the L + 1 layers
    torch.testing.assert_close(f.sum(1), torch.tensor([3.0, 6.0, 1.0]) * 4)
    assert len(model.convs) == 3 and model.convs[0].degree_weights.shape[0] == 6


def test_predict_smiles_in_units_and_bad_input():
    torch.manual_seed(0)
    model = create_model("nfp", hidden_channels=8, num_layers=2, fingerprint_dim=8, mlp_hidden=8,
                         units=["log10(mol/L)"]).eval()
    model.target_mean.fill_(-3.0)
    pred = model.predict_smiles(["CCO", "CCCCCC"])
    assert pred.shape == (2, 1)
    torch.testing.assert_close(pred, model.forward_standardised(
        Batch.from_data_list([Data(**nfp_graph(s)) for s in ("CCO", "CCCCCC")])) - 3.0)
    with pytest.raises(MoleculeError, match="#1"):
        model.predict_smiles(["CCO", "C(("])


def test_ecfp_baseline():
    torch.manual_seed(0)
    model = create_model("ecfp_mlp", n_bits=128, hidden_channels=[16]).eval()
    assert model.predict_smiles(["CCO", "c1ccccc1"]).shape == (2, 1)
