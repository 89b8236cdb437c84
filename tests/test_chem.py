import numpy as np
import pytest
import torch

from zoo.chem import (
    MPNN_ATOM_DIM,
    NFP_ATOM_DIM,
    NFP_BOND_DIM,
    NON_NEGATIVE_TARGETS,
    MoleculeError,
    MoleculeGraphs,
    clamp_non_negative,
    featurize_many,
    graph_from_smiles,
    graph_from_xyz,
    graph_to_data,
    mol,
    morgan_fingerprint,
    mpnn_atom_features,
    nfp_graph,
    nfp_graphs,
    smiles_text_problem,
)


def test_nfp_graph_of_ethanol():
    g = nfp_graph("CCO")
    assert g["x"].shape == (3, NFP_ATOM_DIM)  # hydrogens implicit
    assert g["edge_index"].shape == (2, 4) and g["edge_attr"].shape == (4, NFP_BOND_DIM)
    assert g["x"][:, :3].argmax(1).tolist() == [0, 0, 2]  # C, C, O in the element one-hot
    assert g["edge_attr"][:, 0].tolist() == [1, 1, 1, 1]  # single bonds


def test_unknown_element_and_bad_smiles_are_skipped_with_a_count():
    with pytest.warns(UserWarning, match=r"skipped 2 of 4 .*#1.*#3"):
        items, kept = featurize_many(["CCO", "not a smiles", "c1ccccc1", "[U]"], nfp_graph)
    assert kept == [0, 2] and len(items) == 2
    with pytest.raises(MoleculeError, match="outside the MPNN"):
        graph_from_smiles("[Si](C)(C)(C)C")


def test_mpnn_features_from_packed_flags():
    g = graph_from_smiles("c1ccccc1O")  # phenol, explicit H, RDKit conformer
    assert len(g.z) == 13 and (g.z == 1).sum() == 6
    x = mpnn_atom_features(torch.from_numpy(g.z.astype(np.int64)), torch.from_numpy(g.flags.astype(np.int64)))
    assert x.shape == (13, MPNN_ATOM_DIM)
    carbons = g.z == 6
    assert x[carbons, 11].eq(1).all()  # aromatic
    assert x[carbons, 13].eq(1).all()  # sp2
    assert x[g.z == 8, 15].item() == 1  # the OH oxygen carries one hydrogen
    d = np.linalg.norm(g.pos[g.bonds[:, 0]] - g.pos[g.bonds[:, 1]], axis=1)
    assert (d > 0.9).all() and (d < 1.6).all()  # a real 3D conformer


def test_graph_from_xyz_maps_hydrogens_to_their_atoms():
    # water with the hydrogens listed first: the connectivity fallback must still map them
    xyz = np.array([[0.76, 0.59, 0.0], [-0.76, 0.59, 0.0], [0.0, 0.0, 0.0]])
    g = graph_from_xyz("O", ["H", "H", "O"], xyz)
    assert g.z.tolist() == [8, 1, 1]
    np.testing.assert_allclose(g.pos[0], [0, 0, 0])
    with pytest.raises(MoleculeError):
        graph_from_xyz("CC", ["C", "C", "H", "H", "H", "H", "H", "H"], np.zeros((8, 3)))


def test_store_roundtrip_with_quantized_positions(tmp_path):
    graphs = [graph_from_smiles(s) for s in ("CCO", "C#N", "c1ccccc1")]
    store = MoleculeGraphs.from_graphs(graphs, np.arange(6, dtype=np.float32).reshape(3, 2), [5, 7, 9])
    store.save(tmp_path / "a.npz", quantize_positions=True)
    back = MoleculeGraphs.load(tmp_path / "a.npz")
    assert back.ids.tolist() == [5, 7, 9] and back.y[2].tolist() == [4, 5]
    for i, g in enumerate(graphs):
        b = back.graph(i)
        assert b.z.tolist() == g.z.tolist() and b.bonds.tolist() == g.bonds.tolist()
        dist = lambda p: np.linalg.norm(p[:, None] - p[None], axis=-1)
        assert np.abs(dist(b.pos) - dist(g.pos)).max() < 2e-3
    data = back.data(1, targets=[1])
    assert data.y.tolist() == [[3.0]] and data.edge_index.shape[1] == 2 * len(graphs[1].bond_types)


def test_morgan_fingerprint():
    fp = morgan_fingerprint("CCO", radius=2, n_bits=256)
    assert fp.shape == (256,) and 0 < fp.sum() < 20
    data = graph_to_data(graph_from_smiles("CCO"))
    assert data.x.shape == (9, MPNN_ATOM_DIM)


def test_nfp_graphs_of_a_batch_equal_the_single_graphs_collated_and_name_each_bad_molecule():
    from torch_geometric.data import Batch, Data

    smiles = ["CCO", "[U]", "c1ccccc1O", "S(F)(F)(F)(F)(F)F", "[Na+].[Cl-]", "C"]
    fields, errors = nfp_graphs([mol(s) for s in smiles])  # parsed molecules, as zoo.predict passes them
    assert errors == ["", "element U is not in the NFP featurizer's element list", "",
                      "atom degree 6 is outside the featurizer's range 0..5", "", ""]
    expected = Batch.from_data_list([Data(**nfp_graph(s)) for s, e in zip(smiles, errors) if not e])
    for key in ("x", "edge_index", "edge_attr", "batch"):
        assert torch.equal(fields[key], getattr(expected, key)), key
    assert nfp_graph(mol("CCO"))["x"].equal(nfp_graph("CCO")["x"])  # a molecule already parsed is accepted


@pytest.mark.parametrize("smiles, says", [
    ("CCCCCCCC O", "whitespace (' ') at position 9"), ("CC\tN", "whitespace ('\\t') at position 3"),
    ("C\nC", "whitespace ('\\n') at position 2"), ("CCÖ", "a non-ASCII character ('Ö') at position 3"),
    ("C\x00C", "a control character ('\\x00') at position 2"), ("", "empty SMILES"),
], ids=["space", "tab", "newline", "non-ascii", "control", "empty"])
def test_smiles_text_problems_are_named_with_their_position(smiles, says):
    assert smiles_text_problem(smiles).startswith(says)
    assert smiles_text_problem("C[C@H](N)C(=O)O") is None and smiles_text_problem("[Na+].[Cl-]") is None


def test_magnitudes_are_clamped_at_zero_and_other_targets_left_alone():
    values = torch.tensor([[-0.11, -2.0], [1.5, -3.0]])
    clamped = clamp_non_negative(values, ["mu", "homo"])
    assert clamped.tolist() == [[0.0, -2.0], [1.5, -3.0]] and values[0, 0] == -0.11  # a copy, not in place
    assert clamp_non_negative(values, ["log_solubility", "x"]) is values
    assert "mu" in NON_NEGATIVE_TARGETS and "homo" not in NON_NEGATIVE_TARGETS
