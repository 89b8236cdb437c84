"""Lightning's own cost per training step, on a model too small to hide it.

    python -m bench.lightning_overhead            # ~1 minute on one CPU thread (the recipes it writes
                                                  # name its classes as bench.lightning_overhead.*)

A one-layer model (20 -> 1, batch 8, SGD) trained for ``--steps`` steps in five ways, each timed in the main
thread's CPU time (other jobs on a shared machine do not inflate it), alternating ``--repeats`` times, medians
printed in microseconds per step:

- ``plain``: ``loss.backward(); opt.step()`` over the same DataLoader;
- ``lightning``: a plain ``LightningModule`` through :func:`zoo.training.fit` (the ``zoo train`` path, with its
  non-finite guard; no logger, checkpoint, progress bar or summary);
- ``self.log``: ``lightning`` plus ``self.log("train/loss", loss)`` at every step (``log_every_n_steps=1``);
- ``log_when_due``: ``lightning`` plus :func:`zoo.systems.step_logs.log_when_due` at every step;
- ``4 per execution``: ``lightning`` with :class:`zoo.systems.steps_per_execution.StepsPerExecution` taking 4 optimiser steps per
  Lightning step (``steps_per_execution=4``), timed per optimiser step.

The differences are Lightning's per-step dispatch, the cost of one logged value through ``self.log`` at every
step and through :func:`~zoo.systems.step_logs.log_when_due` (``self.log`` on the logging steps only), and how much
of the loop's cost is left when it is paid once per 4 optimiser steps.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import lightning.pytorch as pl
import torch
import yaml

from bench.throughput import WindowTimer
from zoo.data.step_bundles import training_batches
from zoo.systems.steps_per_execution import StepsPerExecution
from zoo.systems.step_logs import log_when_due

WIDTH, BATCH, WARMUP = 20, 8, 50
CLOCK = time.thread_time


class Tiny(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = torch.nn.Linear(WIDTH, 1)

    def training_step(self, batch, batch_idx):
        return self.net(batch).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=1e-3)


class FourPerExecution(StepsPerExecution, Tiny):
    def __init__(self):
        super().__init__()
        self.set_steps_per_execution(4)

    def training_loss(self, batch):
        return Tiny.training_step(self, batch, 0)


class SelfLog(Tiny):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        self.log("train/loss", loss, batch_size=BATCH)
        return loss


class WhenDue(Tiny):
    def training_step(self, batch, batch_idx):
        loss = super().training_step(batch, batch_idx)
        log_when_due(self, {"train/loss": loss})
        return loss


def _loader():
    return torch.utils.data.DataLoader([torch.randn(BATCH, WIDTH) for _ in range(64)], batch_size=None)


class TinyData(pl.LightningDataModule):
    def train_dataloader(self):
        return training_batches(_loader(), self.trainer)  # in bundles for FourPerExecution


def lightning_step(cls: str, steps: int, logger: bool = False, per_execution: int = 1) -> float:
    """Seconds per optimiser step of ``bench.lightning_overhead.<cls>`` trained by :func:`zoo.training.fit`
    (``per_execution`` optimiser steps per Lightning step)."""
    from zoo.training import fit

    executions = steps // per_execution
    window = WindowTimer(WARMUP, executions, clock=CLOCK)
    trainer = {"max_epochs": 10 ** 6, "log_every_n_steps": 1, "enable_checkpointing": False,
               "enable_progress_bar": False, "enable_model_summary": False, "accelerator": "cpu", "devices": 1,
               "logger": False}
    recipe = {"trainer": trainer, "model": {"class_path": f"bench.lightning_overhead.{cls}"},
              "data": {"class_path": "bench.lightning_overhead.TinyData"}}
    with tempfile.TemporaryDirectory() as tmp:
        if logger:
            trainer["logger"] = {"class_path": "bench.lightning_overhead.NullLogger", "init_args": {"save_dir": tmp}}
        path = Path(tmp) / "tiny.yaml"
        path.write_text(yaml.safe_dump(recipe))
        fit(path, callbacks=[window], runs_dir=Path(tmp) / "runs", verbose=False, trusted_packages=("bench",))
    return (window.t1 - window.t0) / (executions * per_execution)


def plain_step(steps: int) -> float:
    model = Tiny()
    optimizer = model.configure_optimizers()
    loader, seen, start = _loader(), 0, 0.0
    while seen < WARMUP + steps:
        for batch in loader:
            seen += 1
            if seen == WARMUP:
                start = CLOCK()
            loss = model.training_step(batch, seen)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if seen == WARMUP + steps:
                break
    return (CLOCK() - start) / steps


class NullLogger(pl.loggers.Logger):
    """Receives the values like any logger and keeps nothing (the cost measured is Lightning's, not a file's)."""

    name, version = "null", "0"

    def __init__(self, save_dir: str = "."):
        super().__init__()
        self._save_dir = save_dir

    @property
    def save_dir(self) -> str:  # where LightningCLI writes the run's config.yaml
        return self._save_dir

    def log_metrics(self, metrics, step=None):
        pass

    def log_hyperparams(self, params, *args, **kwargs):
        pass


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    runs = {"plain": lambda: plain_step(args.steps),
            "lightning": lambda: lightning_step("Tiny", args.steps),
            "self.log": lambda: lightning_step("SelfLog", args.steps, logger=True),
            "log_when_due": lambda: lightning_step("WhenDue", args.steps, logger=True),
            "4 per execution": lambda: lightning_step("FourPerExecution", args.steps, per_execution=4)}
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.repeats):
        for name, run in runs.items():
            times[name].append(run())
    for name, values in times.items():
        print(f"{name:15s} {1e6 * statistics.median(values):7.1f} us/step  (runs: "
              f"{', '.join(f'{1e6 * v:.0f}' for v in values)})")


if __name__ == "__main__":
    main()
