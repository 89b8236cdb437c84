"""zoo.predict: batched prediction, one result per molecule, each molecule parsed and featurized once."""

import pytest
import torch

import zoo
from zoo.predict import SmilesPredictor
from zoo.registry import create_model, get_pretrained_cfg


@pytest.fixture(scope="module")
def esol():
    return SmilesPredictor(zoo.load("nfp-esol"), get_pretrained_cfg("nfp-esol"), batch_size=3)


def test_each_molecule_gets_values_or_an_error_and_its_domain_warnings(esol):
    smiles = ["CCO", "C1CC", "CCCCCCCC O", "CC\tN", "C\nC", "CCÖ", "[U]", "[Na+].[Cl-]", "C" * 120]
    results = [r for batch in esol.predict_batches(smiles) for r in batch]
    assert [r.smiles for r in results] == smiles
    ok = {r.smiles: r for r in results if not r.error}
    assert set(ok) == {"CCO", "[Na+].[Cl-]", "C" * 120} and all(len(r.values) == 1 for r in ok.values())
    errors = {r.smiles: r.error for r in results if r.error}
    assert errors["C1CC"] == "RDKit cannot parse the SMILES 'C1CC'"
    assert errors["CCCCCCCC O"].startswith("whitespace (' ') at position 9")  # not octane with a name
    assert errors["CC\tN"].startswith("whitespace") and errors["C\nC"].startswith("whitespace")
    assert errors["CCÖ"].startswith("a non-ASCII character")
    assert errors["[U]"] == "element U is not in the NFP featurizer's element list"
    assert ok["CCO"].warnings == [] and "2 fragments" in ok["[Na+].[Cl-]"].warnings[0]
    assert "120 heavy atoms" in ok["C" * 120].warnings[0]
    alone = esol.predict(["CCO"])[0].values  # a molecule's value does not depend on its batch
    assert alone == pytest.approx(ok["CCO"].values, abs=1e-5)
    assert esol.columns == ["log_solubility (log10(mol/L))"]


def test_one_parse_and_one_featurizer_call_and_one_forward_pass_per_batch(esol, monkeypatch):
    """The speed sanity check: the cost per molecule is RDKit's parse and atom reads, nothing per molecule
    beyond them (the old path parsed twice and ran the network once per molecule)."""
    from rdkit import Chem

    calls = {"parse": 0, "featurize_batch": 0, "featurize": 0, "forward": 0}
    model = esol.model

    def counted(name, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(Chem, "MolFromSmiles", counted("parse", Chem.MolFromSmiles))
    monkeypatch.setattr(model, "featurize_batch", counted("featurize_batch", model.featurize_batch))
    monkeypatch.setattr(model, "featurize", counted("featurize", model.featurize))
    model.register_forward_hook(lambda *_: calls.__setitem__("forward", calls["forward"] + 1))
    smiles = ["CCO", "c1ccccc1", "CC(=O)O", "CCN", "C1CC", "CCCl", "O"]  # 7 molecules, batches of 3
    results = [r for batch in esol.predict_batches(smiles) for r in batch]
    assert sum(not r.error for r in results) == 6
    assert calls == {"parse": 7, "featurize_batch": 3, "featurize": 0, "forward": 3}


def test_a_magnitude_is_never_negative_even_when_the_network_says_so():
    model = create_model("mpnn", hidden_channels=8, edge_hidden=8, out_channels=2, target_names=["mu", "homo"],
                         units=["D", "eV"]).eval()
    model.target_mean.fill_(-50.0)  # every raw output far below zero
    predictor = SmilesPredictor(model)  # no featurize_batch: one molecule at a time, one forward per batch
    results = predictor.predict(["c1ccccc1", "CCO", "O=C=O"])
    assert all(r.values[0] == 0.0 and r.values[1] < -10 for r in results)  # mu clamped, the HOMO is not
    assert predictor.columns == ["mu (D)", "homo (eV)"]


def test_a_failing_batch_is_retried_molecule_by_molecule(esol, monkeypatch):
    """One molecule that breaks the network (here: anything above 30 atoms) costs only its own result."""
    model = esol.model
    real = type(model).forward

    def fragile(self, data):
        if (torch.bincount(data.batch) > 30).any():
            raise RuntimeError("simulated failure")
        return real(self, data)

    monkeypatch.setattr(type(model), "forward", fragile)
    results = esol.predict(["CCO", "C" * 40, "CCC"])
    assert [bool(r.error) for r in results] == [False, True, False]
    assert results[1].error == "the model failed on this molecule: simulated failure" and not results[1].warnings


def test_a_non_finite_output_is_an_error_for_that_molecule(esol, monkeypatch):
    model = esol.model
    real = type(model).forward
    monkeypatch.setattr(type(model), "forward",
                        lambda self, data: real(self, data).index_fill(0, torch.tensor([1]), float("nan")))
    results = esol.predict(["CCO", "CCC", "CCCC"])
    assert [r.error for r in results] == ["", "the model returned a non-finite value for this molecule", ""]


def test_a_model_that_does_not_read_smiles_is_refused():
    with pytest.raises(ValueError, match="does not predict from SMILES"):
        SmilesPredictor(create_model("gcn", in_channels=4, out_channels=2))
