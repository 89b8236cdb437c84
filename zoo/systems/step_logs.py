"""Per-step training metrics, logged through ``self.log`` only on the steps Lightning writes to the loggers.

With ``on_step=True, on_epoch=False`` (the default inside ``training_step``) Lightning sends a step's values to
the loggers every ``log_every_n_steps`` training batches (and on the batch where training stops); a value logged on
any other step is never written. ``self.log`` costs a few hundred microseconds per value, and a metric computed
for logging keeps the device busy with work nobody reads, so :func:`log_when_due` calls ``log_dict`` on the due
steps only (:func:`logging_due`, the same schedule from the trainer's public counters) and does nothing on the
others. What reaches the loggers, the monitors (``trainer.callback_metrics``) and the progress bar is what
``self.log`` on every step would give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import lightning.pytorch as pl


def trainer_of(module: pl.LightningModule) -> pl.Trainer | None:
    """The trainer ``module`` is attached to, or None (``LightningModule.trainer`` raises when there is none)."""
    try:
        return module.trainer
    except RuntimeError:
        return None


def logging_due(module: pl.LightningModule) -> bool:
    """True when this training batch's step-logged values will be written: every ``log_every_n_steps``-th batch
    of the run, and the batch after which training stops (Lightning's schedule)."""
    trainer = trainer_of(module)
    if trainer is None or trainer.fast_dev_run:
        return True
    if not trainer.log_every_n_steps:
        return False
    batches = trainer.fit_loop.epoch_loop.batch_progress.total.ready  # this batch included, across resumes
    return batches % trainer.log_every_n_steps == 0 or trainer.should_stop


def log_when_due(module: pl.LightningModule, metrics: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
                 prog_bar: bool = False, **log_kwargs: Any) -> None:
    """``module.log_dict(metrics, ...)`` on the steps Lightning writes, nothing otherwise.

    ``metrics`` may be a function returning them, so that metrics computed only for logging (means, counts)
    are computed only when due.
    """
    if logging_due(module):
        module.log_dict(dict(metrics() if callable(metrics) else metrics), prog_bar=prog_bar, **log_kwargs)
