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
