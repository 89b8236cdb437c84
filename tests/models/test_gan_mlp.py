import pytest
import torch

from zoo.models.gan_mlp import BinaryVectorDiscriminator, BinaryVectorGenerator
from zoo.registry import create_model


def test_the_plain_binary_gan_keeps_its_registry_names():
    gen = create_model("binary_gan_generator", out_features=7, latent_dim=2, hidden=[4])
    assert isinstance(gen, BinaryVectorGenerator)
    samples = gen.sample(3, seed=0)
    assert samples.shape == (3, 7) and set(samples.unique().tolist()) <= {0.0, 1.0}
    assert torch.equal(samples, gen.sample(3, seed=0))
    disc = create_model("binary_gan_discriminator", in_features=7, hidden=[4])
    assert isinstance(disc, BinaryVectorDiscriminator) and disc(torch.zeros(2, 7)).shape == (2,)


def test_the_vector_discriminator_takes_no_image_shape():
    with pytest.raises(TypeError, match="image_size"):
        create_model("binary_gan_discriminator", in_features=7, image_size=64)
