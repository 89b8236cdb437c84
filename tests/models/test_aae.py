import json

import pytest
import torch

from zoo.data.smiles import MOSES_CHARACTERS
from zoo.models.aae import (
    BinaryAAE,
    GaussianPrior,
    MixtureOfGaussiansPrior,
    SmilesAAE,
    make_prior,
)
from zoo.registry import create_model


def tiny_binary(**kwargs):
    args = {"in_features": 12, "latent_dim": 3, "hidden": [8], "kind": "fingerprint", **kwargs}
    return BinaryAAE(**args)


def tiny_smiles(**kwargs):
    args = {"characters": MOSES_CHARACTERS, "embedding_dim": 4, "encoder_hidden": 8, "decoder_hidden": 8,
            "decoder_layers": 1, "latent_dim": 3, "max_length": 20, **kwargs}
    return SmilesAAE(**args)


def test_mixture_prior_puts_its_modes_on_a_circle():
    prior = MixtureOfGaussiansPrior(latent_dim=3, components=4, radius=5.0, std=0.01)
    z = prior.sample(400, generator=torch.Generator().manual_seed(0))
    assert z.shape == (400, 3)
    radii = z[:, :2].norm(dim=1)
    assert torch.allclose(radii, torch.full_like(radii, 5.0), atol=0.1)
    assert z[:, 2].abs().max() < 0.1
    assert len({tuple(r) for r in z[:, :2].round().tolist()}) == 4  # all four modes are used


def test_gaussian_prior_and_bad_prior_name():
    assert GaussianPrior(6).sample(5).shape == (5, 6)
    with pytest.raises(ValueError, match="unknown prior"):
        make_prior("uniform", 2)
    with pytest.raises(ValueError, match="latent_dim >= 2"):
        MixtureOfGaussiansPrior(1)


def test_binary_aae_shapes_loss_and_seeded_sampling():
    model = tiny_binary()
    x = (torch.rand(5, 12) > 0.5).float()
    probs = model(x)
    assert probs.shape == (5, 12) and ((probs > 0) & (probs < 1)).all()
    assert model.encode(x).shape == (5, 3)
    loss = model.reconstruction_loss(x)
    assert loss.ndim == 0 and loss > 0
    a, b = model.sample(4, seed=1), model.sample(4, seed=1)
    assert torch.equal(a, b) and set(a.unique().tolist()) <= {0.0, 1.0}
    lines = model.format_samples(a)
    assert len(lines) == 4 and lines[0].startswith(f"{int(a[0].sum())} bits on")


def test_binary_aae_images_are_in_minus_one_one_for_the_cli_grid():
    model = BinaryAAE(in_features=16, latent_dim=2, hidden=[4], kind="image", image_shape=[1, 4, 4])
    images = model.sample(3, seed=0)
    assert images.shape == (3, 1, 4, 4) and images.min() >= -1 and images.max() <= 1


def test_binary_aae_documents_print_their_top_words():
    vocab = [f"w{i}" for i in range(12)]
    model = tiny_binary(kind="document", vocab=vocab, top_words=3)
    probs = torch.zeros(1, 12)
    probs[0, [7, 2, 9]] = torch.tensor([0.9, 0.8, 0.7])
    assert model.format_samples(probs) == ["w7 w2 w9"]
    with pytest.raises(ValueError, match="vocab has 3 words"):
        tiny_binary(kind="document", vocab=["a", "b", "c"])
    with pytest.raises(ValueError, match="image_shape"):
        tiny_binary(kind="image")


def test_smiles_aae_tokenizes_and_decodes_round_trip():
    model = tiny_smiles()
    smiles = ["CC(=O)Nc1ccc(Cl)cc1", "C#N"]
    tokens = model.encode_strings(smiles)
    assert tokens.shape == (2, len(smiles[0]) + 2)
    assert tokens[1, len("C#N") + 2:].eq(model.pad_id).all()
    assert model.decode_tokens(tokens[:, 1:]) == smiles
    with pytest.raises(ValueError, match="outside this model's vocabulary"):
        model.encode_strings(["C[Si]"])
    with pytest.raises(ValueError, match="distinct"):
        tiny_smiles(characters="CC")


def test_smiles_aae_loss_sampling_and_validity_marks():
    pytest.importorskip("rdkit")
    model = tiny_smiles()
    loss = model.reconstruction_loss(model.encode_strings(["CCO", "c1ccccc1"]))
    assert loss.ndim == 0 and torch.isfinite(loss)
    samples = model.sample(6, seed=3)
    assert len(samples) == 6 and samples == model.sample(6, seed=3)
    assert all(len(s) <= 20 for s in samples)
    lines = model.format_samples(["CCO", "C1CC", ""])
    assert lines[:3] == ["CCO\tvalid", "C1CC\tinvalid", "(empty)\tinvalid"]
    assert lines[-1] == "# 1/3 valid"


def test_smiles_aae_learns_one_molecule():
    torch.manual_seed(0)
    model = tiny_smiles(decoder_hidden=32)
    tokens = model.encode_strings(["CCO"])
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(60):
        opt.zero_grad()
        loss = model.reconstruction_loss(tokens)
        loss.backward()
        opt.step()
    assert loss < 0.1
    z = model.encode(tokens)
    assert model.decode_tokens(model.generate(z, temperature=1e-3)) == ["CCO"]


def test_configs_are_json_and_rebuild_the_same_architecture():
    args = {"characters": MOSES_CHARACTERS, "latent_dim": 4, "encoder_hidden": 8, "decoder_hidden": 8}
    rebuilt = create_model("aae_smiles", **json.loads(json.dumps(args)))
    assert rebuilt.vocab[3:] == list(MOSES_CHARACTERS)


def test_smiles_aae_temperature_is_a_stored_sampling_default():
    model = tiny_smiles(temperature=0.5)
    assert model.temperature == 0.5
    assert model.sample(5, seed=1) == model.sample(5, seed=1, temperature=0.5)
    assert tiny_smiles().temperature == 1.0  # the default keeps configs without it (shipped checkpoints) unchanged
    with pytest.raises(ValueError, match="temperature must be > 0"):
        tiny_smiles(temperature=0)


def test_teacher_forced_logits_do_not_depend_on_padding():
    torch.manual_seed(0)
    model = tiny_smiles()
    alone = model.encode_strings(["CCO"])
    padded = model.encode_strings(["CCO", "c1ccccc1CC"])[:1]
    z = model.encode(alone)
    assert torch.allclose(model.encode(padded), z, atol=1e-6)
    a, b = model.decode_logits(z, alone[:, :-1]), model.decode_logits(z, padded[:, :-1])
    assert torch.allclose(a, b[:, : a.shape[1]], atol=1e-6)
