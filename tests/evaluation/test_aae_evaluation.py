import pytest
import torch

from zoo.evaluation.aae import reconstruction_metrics, sample_vs_real
from zoo.models.aae import BinaryAAE


def test_unique_and_novel_samples():
    train = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    samples = torch.tensor([[1.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    out = sample_vs_real(samples, train, train)
    assert out["unique_fraction"] == 0.75 and out["novelty"] == 2 / 3
    # nearest-neighbour Tanimoto to `real`: 1, 1, 1/2, and 0 for the empty sample (no bit in common)
    assert out["nn_tanimoto_to_test"] == (1 + 1 + 0.5 + 0) / 4


def test_reconstruction_metrics_of_a_perfect_decoder():
    model = BinaryAAE(in_features=3, latent_dim=3, hidden=[], kind="fingerprint")
    with torch.no_grad():  # identity encoder, decoder with huge logits: reconstruction is exact
        model.encoder[0].weight.copy_(torch.eye(3))
        model.encoder[0].bias.zero_()
        model.decoder[0].weight.copy_(40 * torch.eye(3))
        model.decoder[0].bias.fill_(-20)
    x = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    out = reconstruction_metrics(model, x)
    assert out["bit_accuracy"] == 1.0 and out["on_bit_f1"] == 1.0 and out["reconstruction_nll"] < 1e-6


def test_aae_moses_in_a_log_shows_each_stage_once(capfd, monkeypatch):
    """zoo eval aae-moses (28 minutes on the real data) writes one start and one end line per stage: reading the
    sets, sampling at each temperature, each MOSES step per temperature, the reference statistics once."""
    pytest.importorskip("rdkit")
    pytest.importorskip("fcd_torch")
    import dataclasses

    import zoo
    import zoo.data.smiles
    from zoo.evaluation import get_evaluator
    from zoo.registry import get_pretrained_cfg

    reference = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1", "CCN(CC)CC", "c1ccc2ccccc2c1", "OC(=O)c1ccccc1"]
    monkeypatch.setattr(zoo.data.smiles, "moses_subset", lambda root, split, n, seed: reference)
    cfg = get_pretrained_cfg("aae-moses")
    eval_args = {**cfg.extra["eval"], "n_samples": 40, "temperatures": [1.0, 0.65]}
    cfg = dataclasses.replace(cfg, extra={**cfg.extra, "eval": eval_args})
    scores = get_evaluator(cfg.evaluator)(zoo.load("aae-moses"), cfg)
    assert scores["n_generated"] == 40 and scores["n_generated@t0.65"] == 40 and scores["valid"] > 0.5
    out, err = capfd.readouterr()
    assert out == "" and "\r" not in err and "█" not in err
    lines = err.splitlines()
    starts = [line for line in lines if line.endswith(" ...")]
    assert len(starts) * 2 == len(lines)  # every stage: a start line and an end line, nothing else
    assert starts[:2] == ["MOSES: reading the test and training sets ...",
                          "AAE: sampling at temperature 1: 40 SMILES ..."]
    assert "AAE: sampling at temperature 0.65: 40 SMILES ..." in starts
    assert sum(line.startswith("MOSES: canonical SMILES: 40 mol") for line in starts) == 2
    assert sum(line.startswith("MOSES reference: ChemNet (FCD)") for line in starts) == 1
