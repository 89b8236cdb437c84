"""Several optimiser steps per Lightning training step: ``steps_per_execution`` (the name Keras gives it).

Lightning's loop costs about 0.4 ms of host time per training step on the build machine's CPU, whatever the
model (``python -m bench.lightning_overhead``: fetching, 20-odd hooks, each over every callback, progress
counters, logging checks). The Python it runs between two steps also evicts the model's working set from the CPU
caches, so the step itself then runs a few per cent slower: on NFP/ESOL (batch 32, ~14 ms per step) the zoo path
measured 0.93-0.94 of a plain loop, about 1 ms per step, twice what the loop's own time accounts for
(``bench/BENCHMARKS.md``). That cost is per Lightning step, so the remedy is fewer Lightning steps for the same
optimiser steps, as ``tf.keras``' ``steps_per_execution`` does for the same reason:

- the training loader's batches reach Lightning in bundles of ``k`` (:mod:`zoo.data.bundles`, put in place by
  :func:`zoo.training.fit` when the system's ``steps_per_execution`` is above 1);
- :class:`StepsPerExecution` (a mixin for the system) runs one optimiser step per batch of a bundle, with
  manual optimisation: ``zero_grad``, ``manual_backward`` (the non-finite guard and the backward hooks still run
  at every step), ``step`` through Lightning's optimiser wrapper (``trainer.global_step`` counts optimiser steps).
  Schedulers step as Lightning's automatic optimisation steps them: per-step ones after each optimiser step,
  per-epoch ones (``ReduceLROnPlateau`` on its monitored value) at the end of every complete epoch;
- a system that already optimises manually (:class:`zoo.systems.gan.GANSystem`) loops over a bundle's batches in
  its own ``training_step``.

The batches, their order, the random numbers and the updates are those of ``k = 1``: the weights are the same
bit for bit (``tests/systems/test_executions.py``; ``zoo reproduce nfp-esol`` with 8 per execution gives the card's
numbers to the last digit), and ``max_steps`` still stops at that optimiser step. What counts Lightning steps
changes unit: ``log_every_n_steps`` and the loggers' step axis, ``limit_train_batches`` and ``val_check_interval``
in batches. An epoch's scheduler steps in the system's ``on_train_epoch_end``, so a checkpoint written at the end
of the epoch holds the schedule the next epoch starts from (Lightning's automatic optimisation steps it after
those checkpoints). Manual optimisation does not take Lightning's ``gradient_clip_val`` or
``accumulate_grad_batches`` (Lightning says so when the run starts); with ``k = 1`` the system keeps automatic
optimisation and both work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from zoo.data.bundles import StepBundle, check_steps_per_execution
from zoo.systems.step_logs import trainer_of


def batches_to_step(module: Any, batch: Any) -> Iterator[Any]:
    """The batches one Lightning training step of ``module`` runs: a :class:`StepBundle`'s, or ``batch`` itself;
    none more once the trainer's ``max_steps`` is reached (the caller takes its optimiser steps between them)."""
    trainer = trainer_of(module)
    limit = trainer.max_steps if trainer is not None else -1
    for one in batch if isinstance(batch, StepBundle) else (batch,):
        yield one
        if 0 <= limit <= trainer.global_step:
            return


class StepsPerExecution:
    """Mixin for a ``LightningModule`` whose training step is one loss and one optimiser: it implements
    :meth:`training_loss` (and :meth:`log_training_loss`) instead of ``training_step``, and calls
    :meth:`set_steps_per_execution` in its ``__init__``."""

    steps_per_execution: int = 1
    plateau_monitor: str = "val/loss"  # what a ReduceLROnPlateau reads when optimisation is manual
    _last_batch_idx: int = -1
    _epoch_steps: int = 0  # optimiser steps so far in this epoch (Lightning's batch index + 1 when k = 1)

    def set_steps_per_execution(self, k: int) -> None:
        self.steps_per_execution = check_steps_per_execution(k)
        self.automatic_optimization = k == 1

    def training_loss(self, batch: Any) -> torch.Tensor:
        raise NotImplementedError

    def log_training_loss(self, loss: torch.Tensor) -> None:
        """Log a step's loss (on the steps Lightning writes); the last of a bundle's steps is logged."""

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.automatic_optimization:
            loss = self.training_loss(batch)
        else:  # a bundle, or one batch from a loader fit did not bundle (a plain Trainer)
            optimizer = self.optimizers()
            for one in batches_to_step(self, batch):
                loss = self.training_loss(one)
                optimizer.zero_grad()
                self.manual_backward(loss)
                optimizer.step()
                self._epoch_steps += 1
                self._step_schedulers("step")
        self.log_training_loss(loss)
        return loss

    def on_train_epoch_start(self) -> None:
        self._epoch_steps = 0

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self._last_batch_idx = batch_idx

    def on_train_epoch_end(self) -> None:
        # Lightning steps epoch schedulers only after an epoch that ran all its batches (not one a limit cut short)
        if not self.automatic_optimization and self._last_batch_idx + 1 >= self.trainer.num_training_batches:
            self._step_schedulers("epoch")

    def _step_schedulers(self, interval: str) -> None:
        """What Lightning's automatic optimisation does at the end of a step or an epoch, for every scheduler of
        that interval: every ``frequency``-th time, with the monitored value for ``ReduceLROnPlateau``. (With manual
        optimisation Lightning drops a scheduler's ``monitor``: a plateau scheduler reads :attr:`plateau_monitor`.)"""
        trainer = self.trainer
        for config in trainer.lr_scheduler_configs:
            if config.interval != interval:
                continue
            count = self._epoch_steps if interval == "step" else trainer.current_epoch + 1
            if count % config.frequency:
                continue
            metric = None
            if isinstance(config.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                metric = trainer.callback_metrics.get(self.plateau_monitor)
                if metric is None:
                    raise RuntimeError(f"the learning-rate scheduler reduces on a plateau of "
                                       f"{self.plateau_monitor!r}, which nothing logged (logged: "
                                       f"{sorted(trainer.callback_metrics)}); log it in validation or set the "
                                       "system's plateau_monitor")
            self.lr_scheduler_step(config.scheduler, metric)
