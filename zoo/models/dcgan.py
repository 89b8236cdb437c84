r"""DCGAN generator and discriminator for 1x28x28 (MNIST) and 3x64x64 (CelebA) images.

Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional Generative
Adversarial Networks", ICLR 2016 (https://arxiv.org/abs/1511.06434). The generator maps
:math:`z \sim \mathcal N(0, I_d)` to an image in :math:`[-1, 1]`:

.. math::
    z \xrightarrow{\text{ConvT}_{s_0}} s_0{\times}s_0 \xrightarrow{(\text{ConvT}_{4,2,1}\,\text{BN ReLU})^{k-1}}
    \xrightarrow{\text{ConvT}_{4,2,1}} \tanh \quad\in [-1, 1]^{C \times S \times S},\quad S = s_0 2^k

with :math:`s_0 = 7, k = 2` for 28x28 and :math:`s_0 = 4, k = 4` for 64x64 (the paper's generator, widths
halving at each upsampling). The discriminator mirrors it with strided convolutions and LeakyReLU(0.2); its
normalisation is ``"batch"`` (DCGAN, WGAN), ``"layer"`` (per-sample normalisation over C, H, W, as
Gulrajani et al. 2017 recommend for WGAN-GP, whose penalty is per sample so BatchNorm must not mix samples)
or ``"none"``. The discriminator returns one raw score per image, shape ``(B,)``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from zoo.registry import register_model

START_SIZE = {28: 7, 32: 4, 64: 4}  # image size -> spatial size after the first generator layer


def _layout(image_size: int) -> tuple[int, int]:
    """``(start_size, n_upsamplings)`` for a supported image size; a clear error otherwise."""
    if image_size not in START_SIZE:
        raise ValueError(f"DCGAN supports image sizes {sorted(START_SIZE)}, got {image_size}. Resize the data "
                         "(e.g. --data.image_size=64) or pick a supported size.")
    start = START_SIZE[image_size]
    return start, int(math.log2(image_size // start))


def _check_channels(channels: int) -> None:
    if channels not in (1, 3):
        raise ValueError(f"DCGAN supports 1 (grayscale) or 3 (RGB) channels, got {channels}")


class ImageShapeError(ValueError):
    """Images or weights whose size or channel count differ from what the network was built for."""


@register_model("dcgan_generator")
class DCGANGenerator(nn.Module):
    """Args:
    image_size: output side length, 28 or 64 (32 also works).
    channels: output channels, 1 (grayscale) or 3 (RGB).
    latent_dim: size of z (paper: 100).
    base_width: channels of the last hidden layer; the first has ``base_width * 2**(k-1)`` (paper: 64, 64x64).
    """

    def __init__(self, image_size: int = 64, channels: int = 3, latent_dim: int = 100, base_width: int = 64):
        super().__init__()
        _check_channels(channels)
        start, ups = _layout(image_size)
        self.image_size, self.channels, self.latent_dim = image_size, channels, latent_dim
        width = base_width * 2 ** (ups - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim, width, start, 1, 0, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(True)]
        for _ in range(ups - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _dcgan_init(self)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)

    def forward(self, z: Tensor) -> Tensor:
        """``z`` of shape ``(B, latent_dim)`` -> images ``(B, C, S, S)`` in [-1, 1]."""
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected latents z of shape (B, {self.latent_dim}), got {tuple(z.shape)}")
        return self.main(z[:, :, None, None])

    def latents(self, n: int, seed: int | None = None) -> Tensor:
        """``n`` latent vectors; the same ``seed`` gives the same vectors on every device."""
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, self.latent_dim, generator=generator)

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None, batch_size: int = 256) -> Tensor:
        """``n`` images ``(n, C, S, S)`` in [-1, 1]; deterministic for a given ``seed``. All latents are drawn
        at once (the same ones whatever ``batch_size``), then decoded ``batch_size`` at a time, so the
        activations of one batch, not of all ``n``, are held."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"the number of images must be a positive integer, got {n!r}")
        z = self.latents(n, seed).to(_device_of(self))
        return torch.cat([self(chunk).clamp(-1, 1) for chunk in z.split(batch_size)])

    @torch.no_grad()
    def interpolate(self, seed_a: int, seed_b: int, steps: int = 8) -> Tensor:
        """Images along the spherical interpolation (slerp, White 2016) between the latents of two seeds.

        Returns ``(steps, C, S, S)`` in [-1, 1]; the first image is ``sample(1, seed_a)``, the last
        ``sample(1, seed_b)``. Slerp keeps intermediate latents at the norm the Gaussian prior expects.
        """
        if steps < 2:
            raise ValueError(f"steps must be at least 2 (both end points), got {steps}")
        za, zb = self.latents(1, seed_a)[0], self.latents(1, seed_b)[0]
        omega = torch.acos((za / za.norm()).dot(zb / zb.norm()).clamp(-1 + 1e-7, 1 - 1e-7))
        t = torch.linspace(0, 1, steps)[:, None]
        z = (torch.sin((1 - t) * omega) * za + torch.sin(t * omega) * zb) / torch.sin(omega)
        return self(z.to(_device_of(self))).clamp(-1, 1)

    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Refuse weights made for another image size or channel count with a message that says so."""
        _check_generator_weights(self, state_dict)
        return super().load_state_dict(state_dict, strict=strict, assign=assign)


@register_model("dcgan_discriminator")
class DCGANDiscriminator(nn.Module):
    """Args:
    image_size: input side length, 28 or 64 (32 also works).
    channels: input channels, 1 or 3.
    base_width: channels of the first layer, doubling at each downsampling (paper: 64).
    norm: ``"batch"``, ``"layer"`` (use it for WGAN-GP) or ``"none"``; never on the first layer (paper).
    spectral_norm: divide every convolution's weight by its largest singular value, estimated by one power
        iteration per step (Miyato et al., "Spectral Normalization for GANs", ICLR 2018, eq. 8), which bounds
        the discriminator's Lipschitz constant; False (the default) for the plain DCGAN discriminator.
    """

    def __init__(self, image_size: int = 64, channels: int = 3, base_width: int = 64, norm: str = "batch",
                 spectral_norm: bool = False):
        super().__init__()
        _check_channels(channels)
        start, downs = _layout(image_size)
        if norm not in ("batch", "layer", "none"):
            raise ValueError(f"norm must be 'batch', 'layer' or 'none', got {norm!r}")
        self.image_size, self.channels = image_size, channels
        width = base_width
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        for _ in range(downs - 1):
            layers += [nn.Conv2d(width, width * 2, 4, 2, 1, bias=norm == "none"), _norm(norm, width * 2),
                       nn.LeakyReLU(0.2, True)]
            width *= 2
        layers.append(nn.Conv2d(width, 1, start, 1, 0))
        self.main = nn.Sequential(*layers)
        self.reset_parameters()
        if spectral_norm:
            for layer in self.main:
                if isinstance(layer, nn.Conv2d):
                    nn.utils.parametrizations.spectral_norm(layer)

    def reset_parameters(self) -> None:
        _dcgan_init(self)

    def forward(self, images: Tensor) -> Tensor:
        expected = (self.channels, self.image_size, self.image_size)
        if images.dim() != 4 or tuple(images.shape[1:]) != expected:
            raise ImageShapeError(f"the discriminator expects images (B, {', '.join(map(str, expected))}), "
                                  f"got {tuple(images.shape)}")
        return self.main(images).flatten()


def _norm(kind: str, width: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(width)
    if kind == "layer":
        return nn.GroupNorm(1, width)  # normalises each sample over (C, H, W): layer norm for feature maps
    return nn.Identity()


def _dcgan_init(module: nn.Module) -> None:
    """Radford et al. 2016, sec. 4: weights from N(0, 0.02); norm scales from N(1, 0.02), shifts 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def _device_of(module: nn.Module) -> torch.device:
    return next(module.parameters()).device


def _check_generator_weights(generator: DCGANGenerator, state_dict) -> None:
    """Compare the image shape implied by ``state_dict`` with the generator's; raise ImageShapeError if they differ."""
    convs = sorted((k for k, v in state_dict.items() if k.startswith("main.") and k.endswith(".weight")
                    and getattr(v, "dim", lambda: 0)() == 4), key=lambda k: int(k.split(".")[1]))
    if not convs:
        return  # let load_state_dict report the missing keys
    first, last = state_dict[convs[0]], state_dict[convs[-1]]
    channels, size = last.shape[1], first.shape[-1] * 2 ** (len(convs) - 1)
    latent = first.shape[0]
    if (channels, size, latent) != (generator.channels, generator.image_size, generator.latent_dim):
        raise ImageShapeError(
            f"these generator weights make {channels}x{size}x{size} images from a {latent}-d latent, but this "
            f"generator is built for {generator.channels}x{generator.image_size}x{generator.image_size} from "
            f"{generator.latent_dim}-d: build it with image_size={size}, channels={channels}, latent_dim={latent} "
            "(the checkpoint's config.json model_args), or fine-tune from a checkpoint of the same shape.")
