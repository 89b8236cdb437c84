"""Per-step metrics are computed and logged (through self.log) only on the steps Lightning writes, and none of those
is lost."""

import lightning.pytorch as pl
import pytest
import torch
from lightning.pytorch.loggers import Logger

from zoo.systems.step_logs import log_when_due


class RecordingLogger(Logger):
    def __init__(self):
        super().__init__()
        self.steps: list[tuple[int, set]] = []

    name, version = "rec", "0"

    def log_metrics(self, metrics, step=None):
        self.steps.append((step, set(metrics)))

    def log_hyperparams(self, params, *args, **kwargs):
        pass


class Toy(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)
        self.computed = 0

    def training_step(self, batch, batch_idx):
        loss = self.layer(batch).pow(2).mean()

        def metrics():
            self.computed += 1
            return {"train/loss": loss}

        log_when_due(self, metrics, batch_size=batch.shape[0])
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


def run(log_every: int, logger=None, model=None, max_steps: int = 12):
    model = model or Toy()
    trainer = pl.Trainer(max_steps=max_steps, log_every_n_steps=log_every, logger=logger or RecordingLogger(),
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(model, torch.utils.data.DataLoader(torch.randn(64, 2), batch_size=4))
    return model, trainer


def test_metrics_are_computed_only_on_logged_steps_and_every_logged_step_has_them():
    model, trainer = run(log_every=4)
    logger = trainer.logger
    logged = [step for step, keys in logger.steps if "train/loss" in keys]
    assert logged == [3, 7, 11]  # Lightning's own schedule for log_every_n_steps=4
    assert model.computed == 3


def test_every_step_when_asked():
    model, trainer = run(log_every=1)
    assert model.computed == 12 and len([s for s, k in trainer.logger.steps if "train/loss" in k]) == 12


def test_adam_is_fused_only_on_cuda():
    from zoo.systems.optim import adam

    params = [torch.nn.Parameter(torch.zeros(3))]
    assert not adam(params, "cpu", lr=0.1).defaults["fused"]
    assert adam(params, "cpu", lr=0.1).defaults["lr"] == 0.1


class ProgBarToy(Toy):
    def training_step(self, batch, batch_idx):
        loss = self.layer(batch).pow(2).mean()
        self.last = loss.detach()
        log_when_due(self, {"train/loss": loss}, prog_bar=True)
        return loss


def test_due_values_reach_loggers_monitors_and_bar():
    logger = RecordingLogger()
    model, trainer = run(3, logger, ProgBarToy(), max_steps=6)
    assert logger.steps == [(2, {"train/loss", "epoch"}), (5, {"train/loss", "epoch"})]
    assert torch.is_tensor(trainer.callback_metrics["train/loss"])  # what an EarlyStopping monitor reads
    torch.testing.assert_close(trainer.callback_metrics["train/loss"], model.last)
    assert trainer.progress_bar_metrics["train/loss"] == pytest.approx(float(model.last))


@pytest.mark.parametrize("log_every, max_steps", [(4, 10), (5, 16)])
def test_a_value_logged_where_the_run_stops_is_written_whatever_the_schedule(log_every, max_steps):
    """A callback that stops the run (as CPUTimeLimit does) logs its value on that batch: Lightning writes it."""

    class Stopping(Toy):
        def on_train_batch_end(self, outputs, batch, batch_idx):
            if self.trainer.global_step == max_steps:
                self.trainer.should_stop = True
            log_when_due(self, {"train/used": float(self.trainer.global_step)})

    _, trainer = run(log_every, model=Stopping(), max_steps=100)
    used = [step for step, keys in trainer.logger.steps if "train/used" in keys]
    assert used[-1] == max_steps - 1 and used[:-1] == list(range(log_every - 1, max_steps - 1, log_every))


def test_outside_a_trainer_everything_is_due():
    from zoo.systems.step_logs import logging_due, trainer_of

    model = Toy()
    assert trainer_of(model) is None and logging_due(model)
