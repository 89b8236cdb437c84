"""Several optimiser steps per Lightning training step: ``steps_per_execution`` (the name Keras gives it).

Lightning's loop costs about 0.4 ms of host time per training step on the build machine's CPU, whatever the
model (``python -m bench.lightning_overhead``: fetching, 20-odd hooks, each over every callback, progress
counters, logging checks). The Python it runs between two steps also evicts the model's working set from the CPU
caches, so the step itself then runs a few per cent slower: on NFP/ESOL (batch 32, ~14 ms per step) the zoo path
measured 0.93-0.94 of a plain loop, about 1 ms per step, twice what the loop's own time accounts for
(``bench/BENCHMARKS.md``). That cost is per Lightning step, so the remedy is fewer Lightning steps for the same
optimiser steps, as ``tf.keras``' ``steps_per_execution`` does for the same reason:

- the datamodule's ``train_dataloader`` hands its batches over in bundles of ``k``: it returns
  :func:`zoo.data.step_bundles.training_batches`, which reads ``steps_per_execution`` from the module its trainer
  trains (``trainer.lightning_module``), so the system's hyper-parameter is the only place ``k`` is set;
- :class:`StepsPerExecution` (a mixin for the system) runs one optimiser step per batch of a bundle, with
  manual optimisation as Lightning's documentation shows it: ``zero_grad``, ``manual_backward`` (the non-finite
  guard and the backward hooks still run at every step), ``step`` through Lightning's optimiser wrapper
  (``trainer.global_step`` counts optimiser steps), and ``self.lr_schedulers()``' ``step()`` where automatic
  optimisation would step them: after each optimiser step for a system whose :attr:`scheduler_interval` is
  ``"step"``, else at the end of every complete epoch (``ReduceLROnPlateau`` on :attr:`plateau_monitor`);
- a system that already optimises manually (:class:`zoo.systems.gan.GANSystem`) loops over a bundle's batches in
  its own ``training_step``.

A scheduler's ``frequency`` is automatic optimisation's: under manual optimisation every scheduler steps at every
step or epoch of its interval (the zoo's schedules all have frequency 1). A datamodule whose ``train_dataloader``
does not return :func:`~zoo.data.step_bundles.training_batches` hands over single batches, which these systems take one
optimiser step each: the same weights, without the saving.

The batches, their order, the random numbers and the updates are those of ``k = 1``: the weights are the same
bit for bit (``tests/systems/test_steps_per_execution.py``, ``tests/systems/test_gan_system.py``), and ``max_steps`` still
stops at that optimiser step. What counts Lightning steps changes unit: ``log_every_n_steps`` and the loggers'
step axis, ``limit_train_batches`` and ``val_check_interval`` count bundles, not batches. An epoch's scheduler
steps in the system's ``on_train_epoch_end``, so a checkpoint written at the end of the epoch holds the schedule
the next epoch starts from (Lightning's automatic optimisation steps it after those checkpoints). Manual
optimisation does not take Lightning's ``gradient_clip_val`` or ``accumulate_grad_batches`` (Lightning says so
when the run starts); with ``k = 1`` the system keeps automatic optimisation and both work.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from zoo.data.step_bundles import StepBundle, check_steps_per_execution
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
    :meth:`training_loss` (and :meth:`log_training_loss`) instead of ``training_step``, calls
    :meth:`set_steps_per_execution` in its ``__init__``, and sets :attr:`scheduler_interval` to ``"step"`` when
    its learning-rate scheduler is a per-step one (the interval its ``configure_optimizers`` gives Lightning)."""

    steps_per_execution: int = 1
    scheduler_interval: str = "epoch"  # when a scheduler steps under manual optimisation: "step" or "epoch"
    plateau_monitor: str = "val/loss"  # what a ReduceLROnPlateau reads
    _last_batch_idx: int = -1

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
        else:  # a bundle, or one batch from a loader that does not bundle (a plain Trainer's)
            optimizer = self.optimizers()
            for one in batches_to_step(self, batch):
                loss = self.training_loss(one)
                optimizer.zero_grad()
                self.manual_backward(loss)
                optimizer.step()
                if self.scheduler_interval == "step":
                    self.step_schedulers()
        self.log_training_loss(loss)
        return loss

    def on_train_batch_end(self, outputs: Any, batch: Any, batch_idx: int) -> None:
        self._last_batch_idx = batch_idx

    def on_train_epoch_end(self) -> None:
        # as Lightning does: epoch schedulers step after an epoch that ran all its batches (not one a limit cut short)
        complete = self._last_batch_idx + 1 >= self.trainer.num_training_batches
        if not self.automatic_optimization and self.scheduler_interval == "epoch" and complete:
            self.step_schedulers()

    def step_schedulers(self) -> None:
        """``step()`` every scheduler of ``self.lr_schedulers()``; a ``ReduceLROnPlateau`` with the value of
        :attr:`plateau_monitor` (Lightning drops a scheduler's ``monitor`` under manual optimisation)."""
        schedulers = self.lr_schedulers()  # None, one scheduler, or a list of them
        if schedulers is None:
            return
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers]:
            if not isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step()
                continue
            metric = self.trainer.callback_metrics.get(self.plateau_monitor)
            if metric is None:
                raise RuntimeError(f"the learning-rate scheduler reduces on a plateau of {self.plateau_monitor!r}, "
                                   f"which nothing logged (logged: {sorted(self.trainer.callback_metrics)}); log it "
                                   "in validation or set the system's plateau_monitor")
            scheduler.step(metric)
