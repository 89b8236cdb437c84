"""A compute budget in CPU time, for training on shared machines.

Lightning's ``max_time`` counts wall-clock time, which on a shared CPU says little about the compute a run got
(two runs with the same ``max_time`` can differ several-fold in work done). :class:`CPUTimeBudget` stops training
once the training process has used ``minutes`` of CPU time (``time.process_time``: all threads of this process;
with ``OMP_NUM_THREADS=1`` that is minutes of one core). The consumed time is saved in the checkpoint, so a
resumed run continues counting. On a GPU the host process uses little CPU time; keep ``max_time`` as a cap there.
"""

from __future__ import annotations

import time
from typing import Any

from lightning.pytorch import Callback, LightningModule, Trainer


class CPUTimeBudget(Callback):
    """Stop ``fit`` after ``minutes`` of process CPU time (checked after every training batch)."""

    def __init__(self, minutes: float):
        if minutes <= 0:
            raise ValueError(f"the CPU budget must be positive, got {minutes} minutes")
        self.minutes = minutes
        self.used_seconds = 0.0  # consumed in earlier (resumed) runs and this one, up to the last check
        self._last: float | None = None

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._last = time.process_time()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, *args: Any) -> None:
        now = time.process_time()
        self.used_seconds += now - (self._last if self._last is not None else now)
        self._last = now
        if self.used_seconds >= 60 * self.minutes:
            trainer.should_stop = True
        pl_module.log("train/cpu_minutes", self.used_seconds / 60)

    def state_dict(self) -> dict[str, Any]:
        return {"used_seconds": self.used_seconds}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.used_seconds = float(state_dict.get("used_seconds", 0.0))
