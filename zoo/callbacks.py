"""Lightning callbacks shared by every system of the zoo: what happens around a training step, not inside it.

- :class:`NonFiniteLossGuard`: stop before a NaN/inf loss updates any weight (every ``zoo train`` run);
- :class:`CPUTimeBudget`: stop after a budget of process CPU time (``zoo train --cpu-minutes``);
- :class:`CompileModules`: ``torch.compile`` the system's networks in place (``zoo train --compile``).

:class:`NonFiniteLossGuard` stops a run whose loss became NaN or infinite *before* the backward pass, so no
weight is ever updated with it and the checkpoints already written (``last.ckpt`` of the last finished epoch)
stay good. Without it a diverged run (too high a learning rate, say) trains on to the end, exits 0 and leaves
all-NaN weights behind. Lightning calls ``on_before_backward`` in automatic optimisation (before
``loss.backward()``) and in manual optimisation (inside ``manual_backward``, as the GANs and AAEs use), so one
guard covers every system. A loss :math:`\\ell` passes when :math:`\\ell \\in \\mathbb{R}`, i.e.
``torch.isfinite(loss).all()``.
"""

from __future__ import annotations

import time
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch import Callback, LightningModule, Trainer


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; training stops and the last good checkpoint is kept."""


class NonFiniteLossGuard(pl.Callback):
    """Raise :class:`NonFiniteLossError` when a loss about to be back-propagated is not finite.

    The message names the epoch and step and what to do; the last good checkpoint stays untouched (no
    checkpoint is written for the failing step, and the weights were never updated with the bad loss).
    """

    def on_before_backward(self, trainer: pl.Trainer, pl_module: pl.LightningModule, loss: torch.Tensor) -> None:
        if torch.isfinite(loss.detach()).all():
            return
        value = loss.detach().float()
        shown = value.item() if value.numel() == 1 else "non-finite"
        raise NonFiniteLossError(
            f"the training loss is {shown} at epoch {trainer.current_epoch}, step {trainer.global_step} "
            f"({type(pl_module).__name__}); training stopped before any weight was updated with it. The last good "
            "checkpoint (the run's checkpoints/last.ckpt of the last finished epoch) is kept. Lower the learning "
            "rate, check the data for NaN or extreme values, or clip gradients.")


# ---- a compute budget in CPU time
# A compute budget in CPU time, for training on shared machines.
#
# Lightning's ``max_time`` counts wall-clock time, which on a shared CPU says little about the compute a run got
# (two runs with the same ``max_time`` can differ several-fold in work done). :class:`CPUTimeBudget` stops training
# once the training process has used ``minutes`` of CPU time (``time.process_time``: all threads of this process;
# with ``OMP_NUM_THREADS=1`` that is minutes of one core). The consumed time is saved in the checkpoint, so a
# resumed run continues counting. On a GPU the host process uses little CPU time; keep ``max_time`` as a cap there.

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
