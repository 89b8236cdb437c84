"""Per-step training metrics, logged only on the steps Lightning writes to the loggers.

``self.log`` in ``training_step`` costs a few hundred microseconds per value (Lightning's ResultCollection
bookkeeping), and a tensor metric that is computed every step keeps the device busy with work nobody reads.
With ``on_step=True, on_epoch=False`` (the default inside ``training_step``) Lightning sends a step's values to
the loggers only when ``log_every_n_steps`` says so; :func:`log_when_due` asks Lightning's own criterion first
and skips the call on every other step, so what reaches W&B is unchanged and the other steps cost nothing. On
the CPU this alone moves the zoo path from 0.93 to parity with a plain loop for the small graph models
(``bench/throughput.py``); on a GPU it also removes the per-step host work of the GAN's six metrics.

On the steps that are due, the values go straight to the loggers (Lightning's own ``log_metrics``: every logger,
the same step number, the ``epoch`` key) and into ``trainer.callback_metrics`` (and the progress bar's metrics
with ``prog_bar=True``), instead of through ``self.log``. ``self.log`` costs about 0.4 ms per call on the build
machine's CPU whatever the value (``python -m bench.lightning_overhead``): its result collection moves a
torchmetrics-based record to the value's device on every call, walking and deep-copying the record's state. For
GCN, which logs every step because a step is an epoch, that was about 0.6 % of a step; a GAN logs six values. Epoch-level (``on_epoch=True``)
or synchronised (``sync_dist=True``) logging still goes through ``self.log``, which does the reduction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import lightning.pytorch as pl
import torch


def logging_due(module: pl.LightningModule) -> bool:
    """True when this training step's logged values will be written (Lightning's ``should_update_logs``)."""
    trainer = module._trainer
    if trainer is None:
        return True
    return bool(trainer._logger_connector.should_update_logs or trainer.fast_dev_run)


def log_when_due(module: pl.LightningModule, metrics: Mapping[str, Any] | Callable[[], Mapping[str, Any]],
                 prog_bar: bool = False, **log_kwargs: Any) -> None:
    """Per-step training ``metrics`` to the loggers on the steps Lightning writes, nothing otherwise.

    ``metrics`` may be a function returning them, so that metrics computed only for logging (means, counts)
    are computed only when due.
    """
    if not logging_due(module):
        return
    values = metrics() if callable(metrics) else metrics
    values = {k: v.detach() if torch.is_tensor(v) else v for k, v in values.items()}
    trainer = module._trainer
    if trainer is None or log_kwargs.get("on_epoch") or log_kwargs.get("sync_dist") or not trainer.training:
        module.log_dict(values, prog_bar=prog_bar, **log_kwargs)
        return
    scalars = {k: float(v) for k, v in values.items()}  # one host read per value, as Lightning's own logging
    trainer._logger_connector.log_metrics(dict(scalars))  # every logger, at Lightning's step, with the epoch
    # what checkpoint and early-stopping monitors read (tensors, as self.log leaves them)
    trainer.callback_metrics.update({k: v if torch.is_tensor(v) else torch.tensor(scalars[k])
                                     for k, v in values.items()})
    if prog_bar:
        trainer.progress_bar_metrics.update(scalars)
