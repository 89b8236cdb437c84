"""Lightning callbacks shared by every system of the zoo: what happens around a training step, not inside it.

- :class:`NonFiniteLossGuard`: stop before a NaN/inf loss updates any weight (every ``zoo train`` run; on a GPU,
  before it reaches a checkpoint);
- :class:`CPUTimeLimit`: stop after a limit of process CPU time (``zoo train --cpu-minutes``; the wall-clock
  limit, ``--max-minutes``, is Lightning's own ``trainer.max_time``);
- :class:`CompileModules`: ``torch.compile`` the system's networks in place (``zoo train --compile``);
- :class:`SampleGrid`: a grid of fixed-latent samples of a generator, to the logger and the run folder;
- :class:`PeriodicFID`: FID and KID of a generator every few epochs, logged under the cards' names;
- :class:`GeneratorEMA`: an exponential moving average of a GAN's weights, advanced once per generator step;
- :class:`EpochLines`: one line per epoch on stderr, in place of the progress bar when the output is a log.

A system is the loss and the optimisers; what watches or stops it lives here and is configured in a recipe's
``trainer.callbacks`` (``class_path: zoo.callbacks.SampleGrid``, ``init_args: {every_n_epochs: 1}``), as
Lightning's own callbacks are.

:class:`NonFiniteLossGuard` stops a run whose loss became NaN or infinite *before* the backward pass, so no
weight is ever updated with it and the checkpoints already written (``last.ckpt`` of the last finished epoch)
stay good. Without it a diverged run (too high a learning rate, say) trains on to the end, exits 0 and leaves
all-NaN weights behind. Lightning calls ``on_before_backward`` in automatic optimisation (before
``loss.backward()``) and in manual optimisation (inside ``manual_backward``, as the GANs and AAEs use), so one
guard covers every system. A loss :math:`\\ell` passes when :math:`\\ell \\in \\mathbb{R}`, i.e.
``torch.isfinite(loss).all()``. On a GPU the verdicts are gathered on the device and read at the logging
steps, validation and checkpoints, not at every step (see the class).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.callbacks import WeightAveraging

from zoo.systems.step_logs import log_when_due, logging_due


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stops and the last good checkpoint is kept."""


class NonFiniteLossGuard(pl.Callback):
    """Raise :class:`NonFiniteLossError` when a loss about to be back-propagated is not finite.

    The message names the epoch and step and what to do; the last good checkpoint stays untouched (no
    checkpoint is written for the failing step, and the weights were never updated with the bad loss).

    On a GPU, reading the verdict of every step back to the host would synchronise the host with the device at
    every backward pass, so the host could no longer queue the next steps while the device works (issue 8: no
    per-step host synchronisation). There (``deferred``, the default off the CPU) each loss only adds its verdict
    to a flag that stays on the device, and the flag is read where the host waits anyway or must know: on the
    steps Lightning writes its logs, before validation, and before any checkpoint is saved. The run then stops at
    the first of those after the bad loss: the weights may have been updated with it meanwhile, but no checkpoint
    holds them.
    """

    def __init__(self, deferred: bool | None = None):
        self.deferred = deferred  # None: on every device but the CPU
        self._bad: torch.Tensor | None = None  # deferred: True once a loss was not finite
        self._checked_step = 0  # deferred: the step the flag was last read at

    def _defers(self, loss: torch.Tensor) -> bool:
        return self.deferred if self.deferred is not None else loss.device.type != "cpu"

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor) -> None:
        finite = torch.isfinite(loss.detach()).all()
        if self._defers(loss):
            self._bad = ~finite if self._bad is None else self._bad | ~finite
            return
        if finite:
            return
        value = loss.detach().float()
        shown = value.item() if value.numel() == 1 else "non-finite"
        raise NonFiniteLossError(
            f"the training loss is {shown} at epoch {trainer.current_epoch}, step {trainer.global_step} "
            f"({type(pl_module).__name__}); training stopped before any weight was updated with it. "
            + _WHAT_TO_DO)

    def _check_deferred(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self._bad is None:
            return
        bad, self._bad = bool(self._bad), None  # the one host read
        since, self._checked_step = self._checked_step, trainer.global_step
        if bad:
            raise NonFiniteLossError(
                f"a training loss was not finite at epoch {trainer.current_epoch}, between steps {since} and "
                f"{trainer.global_step} ({type(pl_module).__name__}; on this device the losses are checked on "
                "the logging steps, before validation and before checkpoints, not to wait for the device every "
                "step); training stopped and no checkpoint holds the weights since. " + _WHAT_TO_DO)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args: Any) -> None:
        if self._bad is not None and logging_due(pl_module):
            self._check_deferred(trainer, pl_module)

    def on_validation_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check_deferred(trainer, pl_module)

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._check_deferred(trainer, pl_module)

    def on_save_checkpoint(self, trainer: pl.Trainer, pl_module: pl.LightningModule, checkpoint: dict) -> None:
        self._check_deferred(trainer, pl_module)  # raises before the file is written


_WHAT_TO_DO = ("The last good checkpoint (the run's checkpoints/last.ckpt of the last finished epoch) is kept. Lower "
               "the learning rate, check the data for NaN or extreme values, or clip gradients.")


# ---- a limit on CPU time
# Lightning's ``max_time`` counts wall-clock time, which on a shared CPU says little about the compute a run got
# (two runs with the same ``max_time`` can differ several-fold in work done). :class:`CPUTimeLimit` stops training
# once the training process has used ``minutes`` of CPU time (``time.process_time``: all threads of this process;
# with ``OMP_NUM_THREADS=1`` that is minutes of one core). The consumed time is saved in the checkpoint, so a
# resumed run continues counting. On a GPU the host process uses little CPU time; keep ``max_time`` as a cap there.

class CPUTimeLimit(Callback):
    """Stop ``fit`` after ``minutes`` of process CPU time (checked after every training batch)."""

    def __init__(self, minutes: float):
        if minutes <= 0:
            raise ValueError(f"the CPU-time limit must be positive, got {minutes} minutes")
        self.minutes = minutes
        self.used_seconds = 0.0  # consumed in earlier (resumed) runs and this one, up to the last check
        self._last: float | None = None

    @property
    def state_key(self) -> str:
        return "CPUTimeBudget"  # the key the count has in run checkpoints (resumed runs and bench/aae read it)

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._last = time.process_time()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        now = time.process_time()
        self.used_seconds += now - (self._last if self._last is not None else now)
        self._last = now
        if self.used_seconds >= 60 * self.minutes:
            trainer.should_stop = True
        # on the steps Lightning writes only: self.log costs ~0.5 ms per call (zoo/systems/step_logs.py)
        log_when_due(pl_module, {"train/cpu_minutes": self.used_seconds / 60})

    def state_dict(self) -> dict[str, Any]:
        return {"used_seconds": self.used_seconds}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.used_seconds = float(state_dict.get("used_seconds", 0.0))


class CompileModules(Callback):
    """``torch.compile`` every network of the system, in place (``nn.Module.compile``), when fitting starts.

    In-place compilation keeps parameter names, so checkpoints and exported weights are those of an uncompiled
    run. It pays on a GPU, where the zoo's small networks are bound by kernel launches (fused kernels, fewer
    launches); on a CPU the compile time rarely pays back, so it is off unless asked for.
    """

    def __init__(self, mode: str | None = None):
        self.mode = mode

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if stage != "fit":
            return
        for module in pl_module.children():
            if isinstance(module, torch.nn.Module) and any(True for _ in module.parameters()):
                module.compile(mode=self.mode)


# ---- monitoring a generator: sample grids and periodic FID
# Both watch the system's ``net`` (the generator the zoo ships) at the end of every ``every_n_epochs``-th training
# epoch (0: never), from the fixed latents of ``seed``, so what they show is comparable across epochs and runs.

SAMPLE_SEED = 0


def _due(trainer: Trainer, every_n_epochs: int) -> bool:
    return every_n_epochs > 0 and (trainer.current_epoch + 1) % every_n_epochs == 0


def _check_every(every_n_epochs: int) -> None:
    if every_n_epochs < 0:
        raise ValueError(f"every_n_epochs must be >= 0 (0: never), got {every_n_epochs}")


class SampleGrid(Callback):
    """A grid of ``num_images`` samples of ``pl_module.net`` from the latents of ``seed``, every
    ``every_n_epochs`` epochs: written to ``<run>/samples/latest.png`` and sent to every logger that takes images
    (W&B's ``samples``) as one uint8 RGB array (``wandb.Image`` scales float arrays as if in [0, 1], so the
    generator's [-1, 1] images would come out black), captioned with the epoch and generator step.
    """

    def __init__(self, every_n_epochs: int = 1, num_images: int = 64, seed: int = SAMPLE_SEED,
                 key: str = "samples"):
        _check_every(every_n_epochs)
        if num_images < 1:
            raise ValueError(f"num_images must be at least 1, got {num_images}")
        self.every_n_epochs, self.num_images, self.seed, self.key = every_n_epochs, num_images, seed, key

    @torch.no_grad()
    def sample(self, pl_module: LightningModule) -> torch.Tensor:
        """``(num_images, C, H, W)`` samples in [-1, 1], drawn in eval mode (the net's mode is restored)."""
        net = pl_module.net
        was_training = net.training
        net.eval()
        try:
            return net.sample(self.num_images, seed=self.seed)
        finally:
            net.train(was_training)

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not (_due(trainer, self.every_n_epochs) and trainer.is_global_zero):
            return
        from zoo.image_grid import make_grid, write_png

        images = self.sample(pl_module)
        grid = make_grid(images)  # a square grid
        write_png(grid, f"{trainer.default_root_dir}/samples/latest.png")
        caption = f"epoch {trainer.current_epoch}"
        if hasattr(pl_module, "generator_updates"):  # a GAN counts its own steps (global_step counts both players')
            caption += f", generator step {pl_module.generator_updates}"
        for logger in trainer.loggers:
            if hasattr(logger, "log_image"):
                logger.log_image(key=self.key, images=[grid], caption=[caption], step=trainer.global_step)


class PeriodicFID(Callback):
    r"""FID and KID of ``pl_module.net`` every ``every_n_epochs`` epochs, logged as ``val/fid``, ``val/kid`` and
    ``val/kid_std`` (the cards' ``fid`` and ``kid``, :mod:`zoo.metrics`).

    ``num_generated`` samples from the latents of ``seed`` against the first ``num_real`` real images of the
    datamodule's ``real_images(n)`` (500 vs 1,000 is the cards' protocol, :func:`zoo.metrics.fid.protocol`):

    .. math::
        \mathrm{FID} = \lVert \mu_r - \mu_g \rVert_2^2 + \mathrm{Tr}\big(\Sigma_r + \Sigma_g
        - 2 (\Sigma_r \Sigma_g)^{1/2}\big)

    over Inception pool3 features (Heusel et al. 2017). Skipped with a warning when the Inception network is not
    installed (``pip install -e .[fid]``) or the datamodule has no ``real_images``.
    """

    def __init__(self, every_n_epochs: int = 5, num_generated: int = 500, num_real: int = 1000,
                 seed: int = SAMPLE_SEED):
        _check_every(every_n_epochs)
        if num_generated < 2 or num_real < 2:
            raise ValueError(f"FID needs at least 2 generated and 2 real images, got {num_generated} and {num_real}")
        self.every_n_epochs, self.seed = every_n_epochs, seed
        self.num_generated, self.num_real = num_generated, num_real

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not _due(trainer, self.every_n_epochs):
            return
        from lightning.pytorch.utilities import rank_zero_warn

        from zoo.metrics import logged
        from zoo.metrics.fid import InceptionUnavailableError, evaluate_generator

        datamodule = getattr(trainer, "datamodule", None)
        if datamodule is None or not hasattr(datamodule, "real_images"):
            rank_zero_warn("PeriodicFID needs a datamodule with real_images(n); skipped")
            return
        try:
            scores = evaluate_generator(pl_module.net, datamodule, self.num_generated, self.num_real, seed=self.seed)
        except InceptionUnavailableError as err:
            rank_zero_warn(f"PeriodicFID skipped: {err}")
            return
        pl_module.log_dict(logged("val", scores))


# ---- averaging a generator's weights


def warmed_up_ema(averaged: torch.Tensor, current: torch.Tensor, num_averaged: torch.Tensor, *,
                  decay: float) -> torch.Tensor:
    r"""One step of an exponential moving average whose decay warms up with the number of updates ``n``:
    :math:`\beta_n = \min\big(\beta, \frac{1 + n}{10 + n}\big)` (TensorFlow's ``ExponentialMovingAverage``
    with ``num_updates``), so the first, still random weights are forgotten within a few dozen updates instead of
    weighing :math:`\beta^n` for the whole run."""
    beta = torch.clamp((1 + num_averaged) / (10 + num_averaged), max=decay).to(averaged.dtype)
    return averaged + (current - averaged) * (1 - beta)


class GeneratorEMA(WeightAveraging):
    r"""An exponential moving average of a GAN's weights, advanced once after every *generator* step:

    .. math::
        \bar\theta_t = \beta_t\,\bar\theta_{t-1} + (1 - \beta_t)\,\theta_t, \qquad
        \beta_t = \min\big(\beta, \tfrac{1 + t}{10 + t}\big)

    where :math:`t` counts generator updates. Averaging the generator's iterates is the cheapest FID gain in the
    GAN literature: Yazıcı et al. 2019 ("The Unusual Effectiveness of Averaging in GAN Training", ICLR) show the
    EMA generator beats the raw one across losses and datasets, Karras et al. 2018 (progressive GANs) ship it with
    :math:`\beta = 0.999`, and StudioGAN (Kang et al. 2023) reports it for every model. Only the generator ships;
    the discriminator is averaged too (Lightning's callback averages the whole module) but never used.

    Lightning's ``EMAWeightAveraging`` advances after every optimiser step, and a GAN's ``global_step`` counts both
    players' steps (``discriminator_steps`` discriminator steps per generator step), so the same decay would mean
    another horizon for WGAN (k = 5) than for the k = 1 losses. Here :meth:`should_update` asks the system how many
    generator updates it has taken, so :math:`1 / (1 - \beta)` is the same number of generator updates for every
    loss. BatchNorm running statistics are averaged with the weights (``use_buffers``, Lightning's default).

    Through Lightning's :class:`~lightning.pytorch.callbacks.WeightAveraging`: checkpoints hold the averaged
    weights under ``state_dict`` (what ``zoo export`` ships) and the raw ones under ``current_model_state``;
    resuming restores both; at the end of training the averaged weights are copied into the model.
    """

    def __init__(self, decay: float = 0.999):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"decay must be in (0, 1), got {decay}")
        super().__init__(avg_fn=functools.partial(warmed_up_ema, decay=decay))
        self.decay = decay
        self.system: LightningModule | None = None
        self.averaged_at_generator_step = 0

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if not hasattr(pl_module, "generator_updates"):
            raise TypeError(f"GeneratorEMA averages a GAN's generator; {type(pl_module).__name__} has none "
                            "(use lightning.pytorch.callbacks.EMAWeightAveraging for other systems)")
        super().setup(trainer, pl_module, stage)
        self.system = pl_module

    def should_update(self, step_idx: int | None = None, epoch_idx: int | None = None) -> bool:
        if step_idx is None or self.system is None:
            return False
        steps = self.system.generator_updates
        if steps <= self.averaged_at_generator_step:
            return False
        self.averaged_at_generator_step = steps
        return True

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "averaged_at_generator_step": self.averaged_at_generator_step}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.averaged_at_generator_step = state_dict.get("averaged_at_generator_step", 0)


# ---- progress in a log


class EpochLines(Callback):
    """One line per finished epoch on stderr: ``epoch 3/10 (2.9 min): train/g_loss 1.23, val/fid 41.2``.

    ``zoo train`` uses it in place of Lightning's progress bar when stderr is not a terminal (a log file, CI),
    where the bar would write a line at every refresh. It reads the metrics Lightning already gathered for its
    loggers (``trainer.callback_metrics``), so it adds no computation to the step."""

    def __init__(self, max_metrics: int = 6):
        self.max_metrics = max_metrics
        self.started = time.monotonic()

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.started = time.monotonic()

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if not trainer.is_global_zero:
            return
        import sys

        shown = []
        for name, value in sorted(trainer.callback_metrics.items()):
            if len(shown) == self.max_metrics:
                break
            if isinstance(value, torch.Tensor) and value.numel() == 1:
                shown.append(f"{name} {value.item():.4g}")
        total = f"/{trainer.max_epochs}" if trainer.max_epochs and trainer.max_epochs > 0 else ""
        minutes = (time.monotonic() - self.started) / 60
        print(f"epoch {trainer.current_epoch + 1}{total} ({minutes:.1f} min): {', '.join(shown) or 'no metrics'}",
              file=sys.stderr, flush=True)
