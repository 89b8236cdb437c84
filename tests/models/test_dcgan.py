import pytest
import torch

from zoo.hub import load_folder, save_pretrained
from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator, ImageShapeError
from zoo.registry import create_model


@pytest.mark.parametrize("size, channels, base", [(28, 1, 8), (64, 3, 4)])
def test_shapes_and_range(size, channels, base):
    g = create_model("dcgan_generator", image_size=size, channels=channels, latent_dim=16, base_width=base)
    d = create_model("dcgan_discriminator", image_size=size, channels=channels, base_width=base)
    images = g(torch.randn(5, 16))
    assert images.shape == (5, channels, size, size)
    assert images.min() >= -1 and images.max() <= 1
    assert d(images).shape == (5,)


def test_sample_is_deterministic_by_seed_and_keeps_the_mode():
    g = DCGANGenerator(28, 1, latent_dim=8, base_width=4).eval()
    a, b, c = g.sample(4, seed=1), g.sample(4, seed=1), g.sample(4, seed=2)
    assert a.shape == (4, 1, 28, 28)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert torch.equal(g.sample(2, seed=1), a[:2])  # a prefix of the same seed's batch
    assert not g.training


def test_interpolation_runs_between_the_two_seeds():
    g = DCGANGenerator(28, 1, latent_dim=8, base_width=4).eval()
    path = g.interpolate(3, 7, steps=5)
    assert path.shape == (5, 1, 28, 28)
    assert torch.allclose(path[0], g.sample(1, seed=3)[0], atol=1e-5)
    assert torch.allclose(path[-1], g.sample(1, seed=7)[0], atol=1e-5)
    with pytest.raises(ValueError, match="steps"):
        g.interpolate(1, 2, steps=1)


def test_bad_sizes_and_channels_are_refused_clearly():
    with pytest.raises(ValueError, match="image sizes"):
        DCGANGenerator(image_size=48)
    with pytest.raises(ValueError, match="channels"):
        DCGANGenerator(channels=4)
    with pytest.raises(ValueError, match="norm"):
        DCGANDiscriminator(norm="spectral")
    d = DCGANDiscriminator(28, 1, base_width=4)
    with pytest.raises(ImageShapeError, match=r"\(B, 1, 28, 28\)"):
        d(torch.zeros(2, 3, 28, 28))
    with pytest.raises(ValueError, match="latent"):
        DCGANGenerator(28, 1, latent_dim=8, base_width=4)(torch.zeros(2, 9))


def test_loading_weights_of_another_image_shape_says_what_differs(tmp_path):
    faces = DCGANGenerator(64, 3, latent_dim=8, base_width=4)
    digits = DCGANGenerator(28, 1, latent_dim=8, base_width=4)
    with pytest.raises(ImageShapeError, match=r"3x64x64 images .* built for 1x28x28"):
        digits.load_state_dict(faces.state_dict())
    # A checkpoint folder whose config.json disagrees with its weights fails the same way on load.
    save_pretrained(faces, tmp_path / "ckpt", "dcgan_generator",
                    {"image_size": 28, "channels": 1, "latent_dim": 8, "base_width": 4})
    with pytest.raises(ImageShapeError, match="image_size=64, channels=3"):
        load_folder(tmp_path / "ckpt")
    rgb28 = DCGANGenerator(28, 3, latent_dim=8, base_width=4)
    with pytest.raises(ImageShapeError, match="channels=3"):
        digits.load_state_dict(rgb28.state_dict())


def test_spectral_norm_bounds_every_convolution_and_is_off_by_default():
    plain = DCGANDiscriminator(image_size=28, channels=1, base_width=8, norm="none")
    assert not any("parametrizations" in k for k in plain.state_dict())  # shipped critics keep their keys
    critic = DCGANDiscriminator(image_size=28, channels=1, base_width=8, norm="none", spectral_norm=True)
    for _ in range(30):  # one power iteration per training-mode forward
        critic(torch.randn(2, 1, 28, 28))
    convs = [m for m in critic.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 3
    for conv in convs:
        sigma = torch.linalg.matrix_norm(conv.weight.detach().flatten(1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=0.05)
