"""How a ``zoo train`` run ends: why it stopped (and how to go on), and the recipe's test metrics.

:func:`stop_lines` tells apart a run that completed its schedule (``max_epochs``/``max_steps``), one that was
already complete when rerun (nothing trained), one stopped by a limit (``--max-minutes``: Lightning's ``Timer``;
``--cpu-minutes``: :class:`zoo.callbacks.CPUTimeLimit`), one stopped by a recipe's callback (early stopping) and
an interrupted one, and says where it stopped and what command continues it. Limits and the schedule's length are
not part of a run's identity (:data:`zoo.training.BUDGET_OPTIONS`), so the same command with a larger limit
continues the same run folder.

:func:`measure_test_metrics` runs Lightning's ``trainer.test`` on the weights the run keeps (the recipe's best monitored
checkpoint, else ``last.ckpt``) when the datamodule has a test split and the system a ``test_step``; the values
are logged by the run's logger (W&B) like every other metric, and :func:`format_test_table` prints them.
"""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch import LightningDataModule, LightningModule, Trainer
from lightning.pytorch.callbacks import Timer
from lightning.pytorch.utilities.model_helpers import is_overridden


def _position(trainer: Trainer) -> str:
    """``"after 8 of 200 epochs, step 8"``."""
    of = f" of {trainer.max_epochs}" if trainer.max_epochs and trainer.max_epochs > 0 else ""
    return f"after {trainer.current_epoch}{of} epochs, step {trainer.global_step}"


def _duration(minutes: float) -> str:
    return f"{minutes * 60:.3g} s" if minutes < 1 else f"{minutes:.4g} min"


def _schedule_done(trainer: Trainer) -> str | None:
    """The option whose end the run reached (``trainer.max_steps`` / ``trainer.max_epochs``), else None."""
    if trainer.max_steps is not None and trainer.max_steps > 0 and trainer.global_step >= trainer.max_steps:
        return "trainer.max_steps"
    if trainer.max_epochs is not None and trainer.max_epochs > 0 and trainer.current_epoch >= trainer.max_epochs:
        return "trainer.max_epochs"
    return None


def _limit_hit(trainer: Trainer) -> tuple[str, float] | None:
    """``("--max-minutes", minutes)`` or ``("--cpu-minutes", minutes)`` when that limit stopped the run."""
    from zoo.callbacks import CPUTimeLimit

    for callback in trainer.callbacks:
        if isinstance(callback, Timer):
            remaining = callback.time_remaining()
            if remaining is not None and remaining <= 0:
                return "--max-minutes", (callback.time_elapsed() + remaining) / 60
        if isinstance(callback, CPUTimeLimit) and callback.used_seconds >= 60 * callback.minutes:
            return "--cpu-minutes", callback.minutes
    return None


def stop_lines(trainer: Trainer, checkpoint: Path, resumed_step: int | None) -> list[str]:
    """What the run did and how to go on, for the end of ``zoo train``. ``resumed_step``: the global step of
    the checkpoint the run resumed from (None for a new run)."""
    where = f"{_position(trainer)}; weights in {checkpoint}"
    done = _schedule_done(trainer)
    if trainer.interrupted:
        return [f"zoo train: interrupted {where}.", "  Rerun the same command to continue from the last checkpoint."]
    limit = None if done else _limit_hit(trainer)  # a run whose schedule ended is complete, whatever stopped it
    if limit is not None:
        flag, minutes = limit
        kind = "wall-clock" if flag == "--max-minutes" else "CPU"
        return [f"zoo train: stopped by its {kind} limit ({flag}: {_duration(minutes)}) {where}.",
                f"  To continue, rerun the same command with a larger {flag} (or without it): a limit is not part "
                "of the run's identity, so it resumes this run from its last checkpoint."]
    if done is not None:
        value = trainer.max_steps if done == "trainer.max_steps" else trainer.max_epochs
        more = (f"  To train longer, rerun with --{done}=N above {value}: it continues this run "
                "(--fresh starts it again).")
        if resumed_step is not None and trainer.global_step == resumed_step:
            return [f"zoo train: this run was already complete ({_position(trainer)}): nothing more was trained; "
                    f"weights in {checkpoint}.", more]
        return [f"zoo train: complete, {where}.", more]
    return [f"zoo train: stopped early by a callback of the recipe (e.g. early stopping) {where}.",
            "  Rerunning the same command resumes from the last checkpoint."]


def has_test_split(model: LightningModule, datamodule: LightningDataModule | None) -> bool:
    """Whether the system has a ``test_step`` and the datamodule a ``test_dataloader``."""
    return datamodule is not None and is_overridden("test_step", model) and is_overridden(
        "test_dataloader", datamodule, parent=LightningDataModule)


def measure_test_metrics(trainer: Trainer, model: LightningModule, datamodule: LightningDataModule | None,
                 checkpoint: Path) -> dict[str, float] | None:
    """The recipe's test metrics of ``checkpoint`` (logged by the run's logger), or None without a test split.
    A run that wrote no checkpoint (``enable_checkpointing: false``) is tested on the weights it ended with."""
    if not has_test_split(model, datamodule):
        return None
    saved = checkpoint is not None and Path(checkpoint).is_file()
    results = trainer.test(model, datamodule=datamodule, ckpt_path=str(checkpoint) if saved else None,
                           verbose=False, weights_only=True)
    return {name: float(value) for result in results for name, value in result.items()}


def format_test_table(metrics: dict[str, float], checkpoint: Path) -> str:
    """A small table of ``metrics``, headed by the checkpoint they were measured on."""
    width = max(len(name) for name in metrics)
    lines = [f"zoo train: test metrics of {checkpoint}"]
    lines += [f"  {name:{width}s}  {value:.4f}" for name, value in sorted(metrics.items())]
    return "\n".join(lines)
