"""Per-step training metrics, logged only on the steps Lightning writes to the loggers.

``self.log`` in ``training_step`` costs a few hundred microseconds per value (Lightning's ResultCollection
bookkeeping), and a tensor metric that is computed every step keeps the device busy with work nobody reads.
With ``on_step=True, on_epoch=False`` (the default inside ``training_step``) Lightning sends a step's values to
the loggers only when ``log_every_n_steps`` says so; :func:`log_when_due` asks Lightning's own criterion first
and skips the call on every other step, so what reaches W&B is unchanged and the other steps cost nothing. On
the CPU this alone moves the zoo path from 0.93 to parity with a plain loop for the small graph models
(``bench/throughput.py``); on a GPU it also removes the per-step host work of the GAN's six metrics.
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
                 **log_kwargs: Any) -> None:
    """``module.log_dict(metrics, **log_kwargs)`` on the steps Lightning writes, nothing otherwise.

    ``metrics`` may be a function returning them, so that metrics computed only for logging (means, counts)
    are computed only when due.
    """
    if not logging_due(module):
        return
    values = metrics() if callable(metrics) else metrics
    module.log_dict({k: v.detach() if torch.is_tensor(v) else v for k, v in values.items()}, **log_kwargs)
