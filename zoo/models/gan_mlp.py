r"""A plain GAN on binary vectors: MLP generator and discriminator (the baseline the adversarial autoencoder fixes).

Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014, with MLPs on (B, features) vectors. The
generator emits Bernoulli probabilities :math:`\sigma(f(z))`; the discriminator sees these *continuous* values
beside strictly 0/1 real vectors and can tell them apart by their values alone, while thresholding or sampling
them has no gradient: the failure :mod:`zoo.models.aae` avoids by playing the game in a continuous latent space.
Trained with ``zoo.systems.gan.NSGAN`` (``recipes/aae/fingerprints-gan.yaml``); the generator ships.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from zoo.models.aae import SAMPLE_BATCH, check_sample_count, mlp, seeded_generator
from zoo.registry import register_model


@register_model("binary_gan_generator")
class BinaryVectorGenerator(nn.Module):
    r"""An MLP from :math:`z \sim \mathcal N(0, I)` to Bernoulli probabilities :math:`\sigma(f(z))`.

    :meth:`sample` thresholds at 0.5, like the AAE decoder, so the two are compared on equal terms.
    """

    def __init__(self, out_features: int, latent_dim: int = 10, hidden: Sequence[int] = (256, 512)):
        super().__init__()
        self.out_features, self.latent_dim = out_features, latent_dim
        self.net = mlp([latent_dim, *hidden, out_features])

    def forward(self, z: Tensor) -> Tensor:
        return torch.sigmoid(self.net(z))

    @torch.no_grad()
    def sample(self, n: int, seed: int | None = None) -> Tensor:
        check_sample_count(n)
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=seeded_generator(seed)).to(device)
        return torch.cat([(self(chunk) > 0.5).float() for chunk in z.split(SAMPLE_BATCH)])

    def format_samples(self, samples: Tensor) -> list[str]:
        return [f"{int(s.sum())} bits on: " + " ".join(str(i) for i in s.nonzero().flatten().tolist())
                for s in samples]


@register_model("binary_gan_discriminator")
class BinaryVectorDiscriminator(nn.Module):
    """The plain GAN's discriminator on (B, in_features) vectors: one logit per vector."""

    def __init__(self, in_features: int, hidden: Sequence[int] = (512, 256)):
        super().__init__()
        self.net = mlp([in_features, *hidden, 1], activation=lambda: nn.LeakyReLU(0.2))

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x.flatten(1)).squeeze(-1)
