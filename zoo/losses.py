r"""Adversarial losses as pure functions, selectable by name.

One argument order everywhere: a discriminator (critic) loss takes ``(real_scores, fake_scores)``, a generator
loss takes ``(fake_scores)``. Scores are the raw outputs of the discriminator (logits, or critic values for the
Wasserstein losses); every loss is a scalar mean over the batch, to be *minimised*. With
:math:`\sigma` the logistic function, :math:`s_r = D(x)` and :math:`s_f = D(G(z))`:

=====================  =========================================================  ===================================
name                   discriminator loss                                         generator loss
=====================  =========================================================  ===================================
``minimax``            :math:`-\log\sigma(s_r) - \log(1-\sigma(s_f))`              :math:`\log(1-\sigma(s_f))`
``non_saturating``     same as minimax                                            :math:`-\log\sigma(s_f)`
``label_smoothing``    :math:`-0.9\log\sigma(s_r) - 0.1\log(1-\sigma(s_r))`         :math:`-\log\sigma(s_f)`
                       :math:`- \log(1-\sigma(s_f))`
``least_squares``      :math:`\tfrac12 (s_r - 1)^2 + \tfrac12 s_f^2`               :math:`\tfrac12 (s_f - 1)^2`
``hinge``              :math:`\max(0, 1 - s_r) + \max(0, 1 + s_f)`                 :math:`-s_f`
``wasserstein``        :math:`s_f - s_r`                                          :math:`-s_f`
=====================  =========================================================  ===================================

References: minimax and non-saturating, Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014
(eq. 1 and sec. 3); one-sided label smoothing, Salimans et al., "Improved Techniques for Training GANs",
NeurIPS 2016 (sec. 3.4, real target 0.9, fake target 0); least squares with the 0-1 coding, Mao et al.,
"Least Squares Generative Adversarial Networks", ICCV 2017 (eq. 2, a=0, b=c=1); hinge, Lim & Ye,
"Geometric GAN", 2017 and Miyato et al., "Spectral Normalization for GANs", ICLR 2018 (eq. 16-17);
Wasserstein, Arjovsky et al., "Wasserstein GAN", ICML 2017 (Algorithm 1); gradient penalty, Gulrajani et al.,
"Improved Training of Wasserstein GANs", NeurIPS 2017 (eq. 3):

.. math::
    \lambda\, \mathbb{E}_{\hat x}\big[(\lVert \nabla_{\hat x} D(\hat x) \rVert_2 - 1)^2\big],\qquad
    \hat x = \epsilon x + (1 - \epsilon)\tilde x,\ \epsilon \sim U[0, 1] \text{ per sample.}

The logistic losses are written with ``softplus`` (:math:`-\log\sigma(s) = \mathrm{softplus}(-s)`), which is
exact and never takes the log of 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

REAL_LABEL_SMOOTHED = 0.9  # Salimans et al. 2016, sec. 3.4: one-sided, the fake target stays 0


def _bce_with_target(scores: Tensor, target: float) -> Tensor:
    """Mean binary cross-entropy of ``sigmoid(scores)`` against a constant target in [0, 1]."""
    return (target * F.softplus(-scores) + (1.0 - target) * F.softplus(scores)).mean()


# ---- discriminator losses: (real_scores, fake_scores) -> scalar ----

def logistic_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Goodfellow et al. 2014: binary cross-entropy with real -> 1, fake -> 0."""
    return F.softplus(-real_scores).mean() + F.softplus(fake_scores).mean()


def label_smoothing_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Salimans et al. 2016: one-sided label smoothing, real -> 0.9, fake -> 0."""
    return _bce_with_target(real_scores, REAL_LABEL_SMOOTHED) + _bce_with_target(fake_scores, 0.0)


def least_squares_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Mao et al. 2017, eq. 2 with a = 0 (fake), b = 1 (real)."""
    return 0.5 * (real_scores - 1.0).pow(2).mean() + 0.5 * fake_scores.pow(2).mean()


def hinge_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Lim & Ye 2017; Miyato et al. 2018, eq. 16."""
    return F.relu(1.0 - real_scores).mean() + F.relu(1.0 + fake_scores).mean()


def wasserstein_discriminator_loss(real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    """Arjovsky et al. 2017: the discriminator (the paper's critic) maximises E[D(x)] - E[D(G(z))], i.e.
    minimises its negative."""
    return fake_scores.mean() - real_scores.mean()


# ---- generator losses: (fake_scores) -> scalar ----

def minimax_generator_loss(fake_scores: Tensor) -> Tensor:
    """Goodfellow et al. 2014, eq. 1: minimise log(1 - D(G(z))) (saturates when D rejects the fakes)."""
    return -F.softplus(fake_scores).mean()


def non_saturating_generator_loss(fake_scores: Tensor) -> Tensor:
    """Goodfellow et al. 2014, sec. 3: maximise log D(G(z)) instead."""
    return F.softplus(-fake_scores).mean()


def least_squares_generator_loss(fake_scores: Tensor) -> Tensor:
    """Mao et al. 2017, eq. 2 with c = 1."""
    return 0.5 * (fake_scores - 1.0).pow(2).mean()


def linear_generator_loss(fake_scores: Tensor) -> Tensor:
    """Hinge and Wasserstein generators: minimise -E[D(G(z))]."""
    return -fake_scores.mean()


# ---- gradient penalty ----

def gradient_penalty(discriminator: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """Gulrajani et al. 2017, eq. 3 (without lambda): E[(||grad D(x_hat)||_2 - 1)^2] on per-sample interpolates.

    Works for inputs of any rank ``(B, ...)``: one interpolation weight per sample, broadcast over the other
    dimensions, and the gradient norm is taken over all of them. The graph is kept (``create_graph=True``) so the
    penalty can be back-propagated into the discriminator's weights.
    """
    if real.shape != fake.shape:
        raise ValueError(f"gradient_penalty needs real and fake batches of one shape, got {tuple(real.shape)} "
                         f"and {tuple(fake.shape)}")
    if real.dim() < 1 or real.shape[0] == 0:
        raise ValueError("gradient_penalty needs a non-empty batch (B, ...)")
    eps_shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(eps_shape, device=real.device, dtype=real.dtype)
    interpolates = (eps * real.detach() + (1.0 - eps) * fake.detach()).requires_grad_(True)
    scores = discriminator(interpolates)
    (grads,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    norms = grads.flatten(start_dim=1).norm(2, dim=1)
    return (norms - 1.0).pow(2).mean()


# ---- selection by name ----

@dataclass(frozen=True)
class AdversarialLoss:
    """A named pair: ``discriminator(real_scores, fake_scores)`` and ``generator(fake_scores)``."""

    name: str
    discriminator: Callable[[Tensor, Tensor], Tensor]
    generator: Callable[[Tensor], Tensor]


LOSSES: dict[str, AdversarialLoss] = {
    loss.name: loss
    for loss in (
        AdversarialLoss("minimax", logistic_discriminator_loss, minimax_generator_loss),
        AdversarialLoss("non_saturating", logistic_discriminator_loss, non_saturating_generator_loss),
        AdversarialLoss("label_smoothing", label_smoothing_discriminator_loss, non_saturating_generator_loss),
        AdversarialLoss("least_squares", least_squares_discriminator_loss, least_squares_generator_loss),
        AdversarialLoss("hinge", hinge_discriminator_loss, linear_generator_loss),
        AdversarialLoss("wasserstein", wasserstein_discriminator_loss, linear_generator_loss),
    )
}


def get_loss(name: str) -> AdversarialLoss:
    """The loss pair called ``name`` (one of :data:`LOSSES`)."""
    if name not in LOSSES:
        raise ValueError(f"unknown adversarial loss {name!r}; choose one of {sorted(LOSSES)}")
    return LOSSES[name]


def discriminator_loss(name: str, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
    return get_loss(name).discriminator(real_scores, fake_scores)


def generator_loss(name: str, fake_scores: Tensor) -> Tensor:
    return get_loss(name).generator(fake_scores)
