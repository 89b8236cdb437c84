r"""Adversarial training in Lightning 2 with manual optimisation: GAN, NSGAN, LSGAN, hinge, WGAN, WGAN-GP.

One LightningModule, :class:`GANSystem`, trains a generator ``net`` (what ships) against a discriminator
``discriminator`` (a critic in the Wasserstein papers; dropped at export). Each training batch is one
discriminator step on a fresh real batch; every ``discriminator_steps``-th batch is followed by one generator
step (Goodfellow et al. 2014, Algorithm 1 with k = ``discriminator_steps``; Arjovsky et al. 2017, Algorithm 1,
n_critic). The loss pair is a parameter, chosen by name from :mod:`zoo.losses`:

.. math::
    \min_D\ \mathbb{E}_x\, \ell_D\big(D(x), D(G(z))\big), \qquad \min_G\ \mathbb{E}_z\, \ell_G\big(D(G(z))\big).

The named systems are siblings: each is :class:`GANSystem` with one paper's loss and defaults.

=================  ==================  =====  ======================  ==================================
class              loss                steps  optimiser               extra
=================  ==================  =====  ======================  ==================================
``MinimaxGAN``     minimax             1      Adam 2e-4 (0.5, 0.999)  DCGAN optimiser (Radford et al.)
``NSGAN``          non_saturating      1      Adam 2e-4 (0.5, 0.999)
``LSGAN``          least_squares       1      Adam 2e-4 (0.5, 0.999)
``HingeGAN``       hinge               1      Adam 2e-4 (0.5, 0.999)
``WGAN``           wasserstein         5      RMSProp 5e-5            weight clipping c = 0.01
``WGANGP``         wasserstein         5      Adam 1e-4 (0, 0.9)      penalty lambda = 10, discriminator
                                                                      without BatchNorm (layer norm)
=================  ==================  =====  ======================  ==================================

Step counting: in manual optimisation Lightning's ``trainer.global_step`` counts *every* optimiser step
(discriminator and generator), so with 5 discriminator steps a generator step is taken once per 6 global steps.
Runs are therefore limited by ``max_epochs`` or ``max_time``; the logged ``train/generator_steps`` and
``train/critic_steps`` (the cards' names) say what happened.

Around the training step, not in it: sample grids and periodic FID are :class:`zoo.callbacks.SampleGrid` and
:class:`zoo.callbacks.PeriodicFID` in a recipe's ``trainer.callbacks``; a non-finite loss is stopped by
:class:`zoo.callbacks.NonFiniteLossGuard`, which ``zoo train`` adds to every run.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import lightning.pytorch as pl
import torch
from torch import Tensor

from zoo.data.step_bundles import check_steps_per_execution
from zoo.losses import get_loss, gradient_penalty
from zoo.registry import create_model, get_architecture
from zoo.systems import build_net
from zoo.systems.steps_per_execution import batches_to_step
from zoo.systems.optim import adam
from zoo.systems.step_logs import log_when_due, logging_due

BATCH_NORMS = (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d, torch.nn.BatchNorm3d, torch.nn.SyncBatchNorm)

__all__ = ["LSGAN", "NSGAN", "WGAN", "WGANGP", "GANSystem", "HingeGAN", "MinimaxGAN"]


class GANSystem(pl.LightningModule):
    """Args:
    loss: the adversarial loss, a name from :data:`zoo.losses.LOSSES`.
    architecture: the generator's registered name (``"dcgan_generator"``); it is ``self.net`` and ships.
    model_args: the generator's constructor args (image_size, channels, latent_dim, base_width).
    discriminator_architecture: the discriminator's registered name (``"dcgan_discriminator"``).
    discriminator_args: its constructor args; image_size and channels default to the generator's (for a
        discriminator that takes them), the rest to the class's ``DISCRIMINATOR_DEFAULTS`` (WGAN-GP: layer norm).
    discriminator_steps: discriminator steps per generator step (Goodfellow's k, Arjovsky's n_critic).
    optimizer: ``"adam"`` or ``"rmsprop"`` (both networks).
    generator_lr, discriminator_lr: learning rates of the two networks.
    betas: Adam's betas.
    clip_value: clamp the discriminator's weights to [-c, c] after each of its steps (WGAN); None for none.
    gp_weight: lambda of the gradient penalty (WGAN-GP); 0 for none.
    pretrain_discriminator_steps: train only the discriminator for this many first batches.
    instance_noise: std sigma of Gaussian noise added to every image the discriminator sees, real and fake, in
        both players' steps (Sønderby et al. 2016, "Amortised MAP Inference for Image Super-resolution",
        sec. 3.2; Arjovsky & Bottou 2017, "Towards Principled Methods for Training GANs", sec. 3.1): it makes
        the supports of p_data * N(0, sigma^2) and p_g * N(0, sigma^2) overlap, so D cannot separate them
        perfectly early on and D(G(z)) does not collapse to 0, where the minimax generator's gradient
        sigma(D(G(z))) dD/dtheta vanishes. 0 (the default) for none.
    instance_noise_anneal_steps: decay sigma linearly to 0 over this many generator steps (0: constant sigma).
    init_from: a zoo id whose generator weights initialise ``net`` (fine-tuning).
    steps_per_execution: batches per Lightning training step (:mod:`zoo.systems.steps_per_execution`): the datamodule hands
        the batches over in bundles and each runs its discriminator step (and generator step when due) as with
        1; the same updates, with Lightning's per-step host cost paid once per bundle (for small, fast steps on a
        GPU, where that cost is a large part of a step).
    """

    DISCRIMINATOR_DEFAULTS: ClassVar[dict[str, Any]] = {}  # a paper's discriminator, under discriminator_args

    def __init__(self, loss: str, architecture: str = "dcgan_generator", model_args: dict[str, Any] | None = None,
                 discriminator_architecture: str = "dcgan_discriminator",
                 discriminator_args: dict[str, Any] | None = None, discriminator_steps: int = 1,
                 optimizer: str = "adam", generator_lr: float = 2e-4, discriminator_lr: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), clip_value: float | None = None, gp_weight: float = 0.0,
                 pretrain_discriminator_steps: int = 0, instance_noise: float = 0.0,
                 instance_noise_anneal_steps: int = 0, init_from: str | None = None, steps_per_execution: int = 1):
        super().__init__()
        self.save_hyperparameters()
        hp = self.hparams
        self.automatic_optimization = False
        self.steps_per_execution = check_steps_per_execution(hp.steps_per_execution)
        self.loss_fns = get_loss(hp.loss)  # fails at construction on an unknown name
        if hp.discriminator_steps < 1:
            raise ValueError(f"discriminator_steps must be at least 1, got {hp.discriminator_steps}")
        if hp.instance_noise < 0 or hp.instance_noise_anneal_steps < 0:
            raise ValueError(f"instance_noise ({hp.instance_noise}) and instance_noise_anneal_steps "
                             f"({hp.instance_noise_anneal_steps}) must be >= 0")
        if hp.optimizer not in ("adam", "rmsprop"):
            raise ValueError(f"optimizer must be 'adam' or 'rmsprop', got {hp.optimizer!r}")
        self.net = build_net(hp.architecture, hp.model_args, hp.init_from)
        self.discriminator = create_model(hp.discriminator_architecture, **self._discriminator_args())
        if hp.gp_weight and any(isinstance(m, BATCH_NORMS) for m in self.discriminator.modules()):
            raise ValueError("the gradient penalty is per sample, so the discriminator must not use BatchNorm "
                             "(Gulrajani et al. 2017, sec. 4): set discriminator_args.norm to 'layer' or 'none'")
        self.generator_updates = 0
        self.discriminator_updates = 0  # optimiser steps taken; logged as train/critic_steps, the cards' name

    def _discriminator_args(self) -> dict[str, Any]:
        """The discriminator's constructor args: the recipe's over the class's defaults, over the generator's
        ``image_size`` and ``channels`` for a discriminator that takes them (an image one; not a vector one)."""
        takes = inspect.signature(get_architecture(self.hparams.discriminator_architecture)).parameters
        shape = {"image_size": getattr(self.net, "image_size", 64), "channels": getattr(self.net, "channels", 3)}
        shape = {name: value for name, value in shape.items() if name in takes}
        return {**shape, **self.DISCRIMINATOR_DEFAULTS, **(self.hparams.discriminator_args or {})}

    # ---- training ----

    def _real_batch(self, batch: Any) -> Tensor:
        real = batch[0] if isinstance(batch, (list, tuple)) else batch
        expected = tuple(getattr(self.net, "image_shape", real.shape[1:]))
        if tuple(real.shape[1:]) != expected:
            raise ValueError(f"the data gives images of shape {tuple(real.shape[1:])} but the generator makes "
                             f"{expected}: set model_args image_size/channels to match the data (or the data's "
                             "image_size to match the model)")
        return real

    def _noise(self, n: int) -> Tensor:
        return torch.randn(n, self.net.latent_dim, device=self.device)

    def instance_noise_std(self) -> float:
        """The current instance-noise sigma: ``instance_noise``, decayed linearly over the anneal steps."""
        sigma, anneal = self.hparams.instance_noise, self.hparams.instance_noise_anneal_steps
        return sigma * max(0.0, 1.0 - self.generator_updates / anneal) if anneal else sigma

    def perturb(self, images: Tensor) -> Tensor:
        """``images`` as the discriminator sees them: plus N(0, sigma^2) instance noise when it is on."""
        sigma = self.instance_noise_std()
        return images + sigma * torch.randn_like(images) if sigma > 0 else images

    def discriminator_step(self, real: Tensor) -> dict[str, Tensor]:
        opt_d = self.optimizers()[1]
        with torch.no_grad():
            fake = self.net(self._noise(real.shape[0]))
        real_scores = self.discriminator(self.perturb(real))
        fake_scores = self.discriminator(self.perturb(fake))
        adversarial = self.loss_fns.discriminator(real_scores, fake_scores)
        logs = {"train/d_loss": adversarial}
        loss = adversarial
        if self.hparams.gp_weight:
            penalty = gradient_penalty(self.discriminator, real, fake)
            logs["train/gradient_penalty"] = penalty
            loss = adversarial + self.hparams.gp_weight * penalty
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt_d.step()
        if self.hparams.clip_value is not None:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-self.hparams.clip_value, self.hparams.clip_value)
        self.discriminator_updates += 1
        if logging_due(self):  # two reductions nobody reads on the other steps
            logs["train/d_real"], logs["train/d_fake"] = real_scores.mean(), fake_scores.mean()
        return logs

    def generator_step(self, batch_size: int) -> dict[str, Tensor]:
        opt_g = self.optimizers()[0]
        self.toggle_optimizer(opt_g)  # the discriminator's weights need no gradients here
        loss = self.loss_fns.generator(self.discriminator(self.perturb(self.net(self._noise(batch_size)))))
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt_g.step()
        self.untoggle_optimizer(opt_g)
        self.generator_updates += 1
        return {"train/g_loss": loss}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        for one in batches_to_step(self, batch):  # one batch, or a bundle's (zoo.systems.steps_per_execution)
            real = self._real_batch(one)
            logs = self.discriminator_step(real)
            pretraining = self.discriminator_updates <= self.hparams.pretrain_discriminator_steps
            if not pretraining and self.discriminator_updates % self.hparams.discriminator_steps == 0:
                logs.update(self.generator_step(real.shape[0]))
        logs["train/generator_steps"] = float(self.generator_updates)
        logs["train/critic_steps"] = float(self.discriminator_updates)
        log_when_due(self, logs)  # a bundle's last batch

    def configure_optimizers(self):
        hp = self.hparams
        if hp.optimizer == "rmsprop":
            return (torch.optim.RMSprop(self.net.parameters(), lr=hp.generator_lr),
                    torch.optim.RMSprop(self.discriminator.parameters(), lr=hp.discriminator_lr))
        betas = tuple(hp.betas)
        return (adam(self.net.parameters(), self.device, lr=hp.generator_lr, betas=betas),
                adam(self.discriminator.parameters(), self.device, lr=hp.discriminator_lr, betas=betas))

    # ---- checkpoints: the step counters travel with them, so a resumed run keeps counting ----

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["gan_steps"] = {"generator": self.generator_updates, "critic": self.discriminator_updates}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        steps = checkpoint.get("gan_steps", {})
        self.generator_updates = steps.get("generator", 0)
        self.discriminator_updates = steps.get("critic", 0)


class MinimaxGAN(GANSystem):
    """Goodfellow et al. 2014, eq. 1: the minimax loss, ``log(1 - D(G(z)))`` for the generator."""

    def __init__(self, loss: str = "minimax", **kwargs: Any):
        super().__init__(loss=loss, **kwargs)


class NSGAN(GANSystem):
    """Goodfellow et al. 2014, sec. 3: the non-saturating generator loss ``-log D(G(z))``."""

    def __init__(self, loss: str = "non_saturating", **kwargs: Any):
        super().__init__(loss=loss, **kwargs)


class LSGAN(GANSystem):
    """Mao et al. 2017: least-squares losses."""

    def __init__(self, loss: str = "least_squares", **kwargs: Any):
        super().__init__(loss=loss, **kwargs)


class HingeGAN(GANSystem):
    """Lim & Ye 2017; Miyato et al. 2018: hinge loss."""

    def __init__(self, loss: str = "hinge", **kwargs: Any):
        super().__init__(loss=loss, **kwargs)


class WGAN(GANSystem):
    """Arjovsky et al. 2017, Algorithm 1: clipping c = 0.01, RMSProp 5e-5, n_critic = 5."""

    def __init__(self, loss: str = "wasserstein", discriminator_steps: int = 5, optimizer: str = "rmsprop",
                 generator_lr: float = 5e-5, discriminator_lr: float = 5e-5, clip_value: float | None = 0.01,
                 **kwargs: Any):
        super().__init__(loss=loss, discriminator_steps=discriminator_steps, optimizer=optimizer,
                         generator_lr=generator_lr, discriminator_lr=discriminator_lr, clip_value=clip_value, **kwargs)


class WGANGP(GANSystem):
    """Gulrajani et al. 2017, Algorithm 1: lambda = 10, Adam 1e-4 (0, 0.9), n_critic = 5, no BatchNorm in D."""

    DISCRIMINATOR_DEFAULTS: ClassVar[dict[str, Any]] = {"norm": "layer"}  # the penalty is per sample (sec. 4)

    def __init__(self, loss: str = "wasserstein", discriminator_steps: int = 5, generator_lr: float = 1e-4,
                 discriminator_lr: float = 1e-4, betas: tuple[float, float] = (0.0, 0.9), gp_weight: float = 10.0,
                 **kwargs: Any):
        super().__init__(loss=loss, discriminator_steps=discriminator_steps, generator_lr=generator_lr,
                         discriminator_lr=discriminator_lr, betas=betas, gp_weight=gp_weight, **kwargs)
