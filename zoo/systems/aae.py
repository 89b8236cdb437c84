r"""Training an adversarial autoencoder (Makhzani et al. 2016, sec. 2), with manual optimisation.

Each batch runs three phases, each with its own optimiser:

1. **reconstruction** -- encoder and decoder minimise the reconstruction loss
   :math:`\mathbb{E}_x[-\log p(x \mid E(x))]` (``net.reconstruction_loss``);
2. **discriminator** -- the latent discriminator :math:`D` learns to tell prior samples :math:`z \sim p(z)`
   ("real") from codes :math:`E(x)` ("fake"), with the discriminator half of an adversarial loss from
   :mod:`zoo.losses` (default: the logistic loss of the paper);
3. **regularisation** -- the encoder, acting as the generator, is updated to fool :math:`D` with the generator
   half of the same loss (default non-saturating), scaled by ``regularization_weight``.

With ``joint_regularization`` the schedule is the MOSES AAE's (moses/aae/trainer.py): phases 1 and 3 are one
step of the autoencoder's optimiser on :math:`\mathcal L_{rec} + \lambda_t \mathcal L_G` (one encoder pass
instead of two), and phase 2 reuses the batch's codes, detached, for ``discriminator_steps`` updates of
:math:`D` against fresh prior samples. :math:`\lambda_t` ramps linearly from 0 to ``regularization_weight`` over
``regularization_warmup_steps`` batches, so the decoder learns to read codes before the prior pulls on them.

What ships is ``self.net`` (encoder, decoder and prior); the discriminator lives in ``self.discriminator`` and is
dropped by export. Batches are whatever the net's ``reconstruction_loss`` takes: float tensors of binary vectors
(or images), or lists of SMILES strings, tokenized here by ``net.encode_strings``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import lightning.pytorch as pl
import torch
from torch import Tensor

from zoo.losses import get_loss
from zoo.registry import create_model
from zoo.systems import build_net
from zoo.systems.optim import adam
from zoo.systems.step_logs import log_when_due, trainer_of

# The values of model_args are JSON. Typed as such (not Any) so LightningCLI keeps a string a string: with Any,
# jsonargparse parses each string again as YAML, and "#()-123..." (SMILES characters) would become None.
JSONValue = str | int | float | bool | None | list | dict


class AAESystem(pl.LightningModule):
    """Args:
    architecture: "aae_binary" or "aae_smiles"; ``model_args`` its constructor args.
    discriminator_hidden: widths of the latent discriminator's hidden layers.
    lr: Adam learning rate of the reconstruction phase; ``discriminator_lr`` and ``generator_lr`` of the two
        adversarial phases (default: ``lr``).
    betas: Adam betas for all three optimisers.
    loss: adversarial loss name from :mod:`zoo.losses` ("non_saturating" is the paper's logistic GAN loss).
    regularization_weight: factor on the encoder's adversarial loss.
    lr_step_epochs, lr_gamma: multiply every learning rate by ``lr_gamma`` each ``lr_step_epochs`` epochs
        (MOSES AAE: 20 and 0.5); None disables it.
    init_from: a zoo id to initialise ``net`` from.
    joint_regularization: one autoencoder step on reconstruction + regularisation (MOSES AAE) instead of two
        separate steps (the paper's three phases); see the module docstring.
    discriminator_steps: updates of the discriminator per batch.
    regularization_warmup_steps: batches over which the regularisation weight ramps linearly from 0.
    """

    def __init__(self, architecture: str = "aae_binary", model_args: dict[str, JSONValue] | None = None,
                 discriminator_hidden: Sequence[int] = (1000, 1000), lr: float = 1e-3,
                 discriminator_lr: float | None = None, generator_lr: float | None = None,
                 betas: Sequence[float] = (0.5, 0.999), loss: str = "non_saturating",
                 regularization_weight: float = 1.0, lr_step_epochs: int | None = None, lr_gamma: float = 0.5,
                 init_from: str | None = None, joint_regularization: bool = False, discriminator_steps: int = 1,
                 regularization_warmup_steps: int = 0):
        super().__init__()
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.net = build_net(architecture, model_args, init_from)
        self.discriminator = create_model("aae_latent_discriminator", latent_dim=self.net.latent_dim,
                                          hidden=list(discriminator_hidden))
        self.adversarial = get_loss(loss)
        if discriminator_steps < 1 or regularization_warmup_steps < 0:
            raise ValueError("discriminator_steps must be >= 1 and regularization_warmup_steps >= 0, got "
                             f"{discriminator_steps} and {regularization_warmup_steps}")

    # ---- helpers
    def _inputs(self, batch: Any) -> Tensor:
        if isinstance(batch, (list, tuple)) and batch and isinstance(batch[0], str):
            return self.net.encode_strings(batch).to(self.device)
        if isinstance(batch, (list, tuple)):
            batch = batch[0]
        return batch

    def _encoder_parameters(self) -> list[torch.nn.Parameter]:
        return list(self.net.encoder_parameters()) if hasattr(self.net, "encoder_parameters") else \
            list(self.net.encoder.parameters())

    def regularization_weight(self) -> float:
        r""":math:`\lambda_t`: ``regularization_weight``, ramped linearly over the warm-up batches."""
        warmup = self.hparams.regularization_warmup_steps
        if not warmup:
            return self.hparams.regularization_weight
        # batches started so far (global_step counts optimiser steps, several per batch); restored on resume
        trainer = trainer_of(self)
        batches = trainer.fit_loop.epoch_loop.batch_progress.total.ready if trainer is not None else 0
        ramp = min(1.0, batches / warmup)
        return self.hparams.regularization_weight * ramp

    def _discriminator_step(self, opt_d, fake: Tensor) -> Tensor:
        """One update of D: prior samples are "real", (detached) codes of data are "fake"."""
        real = self.net.prior.sample(fake.shape[0], device=self.device)
        d_loss = self.adversarial.discriminator(self.discriminator(real), self.discriminator(fake))
        opt_d.zero_grad(set_to_none=True)
        self.manual_backward(d_loss)
        opt_d.step()
        return d_loss

    def _joint_step(self, x: Tensor) -> dict[str, Tensor]:
        """MOSES AAE schedule: one step on reconstruction + weighted regularisation, then D on the same codes."""
        opt_ae, opt_d, _ = self.optimizers()
        z = self.net.encode(x)
        recon = self.net.reconstruction_loss(x, z)
        g_loss = self.adversarial.generator(self.discriminator(z))
        opt_ae.zero_grad(set_to_none=True)
        self.manual_backward(recon + self.regularization_weight() * g_loss)
        opt_ae.step()
        for _ in range(self.hparams.discriminator_steps):
            d_loss = self._discriminator_step(opt_d, z.detach())
        return {"train/reconstruction": recon, "train/discriminator": d_loss, "train/generator": g_loss}

    # ---- training
    def training_step(self, batch: Any, batch_idx: int) -> None:
        x = self._inputs(batch)
        n = x.shape[0]
        if self.hparams.joint_regularization:
            log_when_due(self, self._joint_step(x), prog_bar=True, batch_size=n)
            return
        opt_ae, opt_d, opt_g = self.optimizers()

        # 1. reconstruction: encoder + decoder
        recon = self.net.reconstruction_loss(x)
        opt_ae.zero_grad(set_to_none=True)
        self.manual_backward(recon)
        opt_ae.step()

        # 2. discriminator: prior samples are "real", codes of data are "fake"
        with torch.no_grad():
            fake = self.net.encode(x)
        for _ in range(self.hparams.discriminator_steps):
            d_loss = self._discriminator_step(opt_d, fake)

        # 3. regularisation: the encoder is the generator of codes
        g_loss = self.regularization_weight() * self.adversarial.generator(self.discriminator(self.net.encode(x)))
        opt_g.zero_grad(set_to_none=True)
        self.manual_backward(g_loss)
        opt_g.step()

        log_when_due(self, {"train/reconstruction": recon, "train/discriminator": d_loss, "train/generator": g_loss},
                     prog_bar=True, batch_size=n)

    def on_train_epoch_end(self) -> None:
        schedulers = self.lr_schedulers()
        schedulers = schedulers if isinstance(schedulers, list) else [schedulers] if schedulers else []
        if self.hparams.joint_regularization:  # the encoder's own optimiser (the third) never steps: neither does
            schedulers = schedulers[:2]  # its schedule (torch warned that it stepped before its optimiser)
        for s in schedulers:
            s.step()

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x = self._inputs(batch)
        z = self.net.encode(x)
        self.log("val/reconstruction", self.net.reconstruction_loss(x, z), prog_bar=True, batch_size=x.shape[0])
        # how far the codes are from the prior, as the discriminator sees it (0.5 = indistinguishable)
        self.log("val/discriminator_fooled", torch.sigmoid(self.discriminator(z)).mean(), batch_size=x.shape[0])

    def configure_optimizers(self):
        hp = self.hparams
        betas = tuple(hp.betas)
        opt_ae = adam(self.net.parameters(), self.device, lr=hp.lr, betas=betas)
        opt_d = adam(self.discriminator.parameters(), self.device, lr=hp.discriminator_lr or hp.lr, betas=betas)
        opt_g = adam(self._encoder_parameters(), self.device, lr=hp.generator_lr or hp.lr, betas=betas)
        optimizers = [opt_ae, opt_d, opt_g]
        if not hp.lr_step_epochs:
            return optimizers
        schedulers = [torch.optim.lr_scheduler.StepLR(o, hp.lr_step_epochs, hp.lr_gamma) for o in optimizers]
        return optimizers, schedulers
