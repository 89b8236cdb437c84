"""StepsPerExecution: k optimiser steps per Lightning step give the weights, learning rates and step counts of
k = 1, bit for bit, through the zoo's training path and through a plain Trainer (with a datamodule that hands over
the bundles the system asks for, or with single batches)."""

import lightning.pytorch as pl
import pytest
import torch
import yaml
from torch.utils.data import DataLoader

from zoo.data.step_bundles import StepBundles, training_batches
from zoo.systems.steps_per_execution import StepsPerExecution


def _esol_recipe(tmp_path, data_root, k: int, scheduler: str = "plateau"):
    recipe = {
        "seed_everything": 0,
        "trainer": {"max_epochs": 4, "logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
                    "enable_model_summary": False, "num_sanity_val_steps": 0, "accelerator": "cpu"},
        "model": {"class_path": "zoo.systems.molecule.MoleculeRegression", "init_args": {
            "architecture": "nfp", "model_args": {"hidden_channels": 16, "num_layers": 2, "fingerprint_dim": 16,
                                                  "mlp_hidden": 16, "dropout": 0.2},
            # a high rate and no patience: the plateau schedule halves the rate within the run
            "lr": 0.05, "scheduler": scheduler, "plateau_patience": 0, "plateau_factor": 0.5,
            "steps_per_execution": k}},
        "data": {"class_path": "zoo.data.moleculenet.MoleculeNetDataModule", "init_args": {
            "dataset": "esol", "root": str(data_root), "featurizer": "nfp", "limit": 200, "batch_size": 16}},
    }
    path = tmp_path / f"esol-{k}-{scheduler}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return path


@pytest.mark.parametrize("scheduler", ["plateau", "cosine"])
def test_bundled_steps_train_the_same_weights_through_fit(scheduler, data_root, tmp_path):
    from zoo.training import fit

    runs = {}
    for k in (1, 3):
        run = fit(_esol_recipe(tmp_path, data_root, k, scheduler), runs_dir=tmp_path / "runs", verbose=False)
        runs[k] = run.cli
    one, three = runs[1], runs[3]
    assert one.model.automatic_optimization and not three.model.automatic_optimization
    assert three.trainer.num_training_batches == -(-one.trainer.num_training_batches // 3)  # Lightning saw bundles
    assert three.trainer.global_step == one.trainer.global_step  # optimiser steps
    lrs = [[g["lr"] for g in cli.trainer.optimizers[0].param_groups] for cli in (one, three)]
    assert lrs[0] == lrs[1] and lrs[0][0] < 0.05  # the schedule ran, the same in both
    a, b = one.model.state_dict(), three.model.state_dict()
    assert all(torch.equal(a[name], b[name]) for name in a)


class Line(StepsPerExecution, pl.LightningModule):
    """y = w x, with a per-step schedule and dropout (random numbers in every step)."""

    scheduler_interval = "step"

    def __init__(self, k: int):
        super().__init__()
        self.set_steps_per_execution(k)
        self.w = torch.nn.Linear(3, 1)

    def training_loss(self, batch):
        return torch.nn.functional.dropout(self.w(batch), 0.5).pow(2).mean()

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def _train_line(k: int, bundled: bool, **trainer_args):
    pl.seed_everything(0)
    model = Line(k)
    loader = DataLoader(torch.randn(14, 3, generator=torch.Generator().manual_seed(1)), batch_size=2)  # 7 batches
    args = {"max_epochs": 2, "logger": False, "enable_checkpointing": False, "enable_progress_bar": False,
            "enable_model_summary": False, "accelerator": "cpu"}
    trainer = pl.Trainer(**{**args, **trainer_args})
    trainer.fit(model, StepBundles(loader, k) if bundled else loader)
    return model, trainer


@pytest.mark.parametrize("bundled", [True, False])  # False: a plain Trainer fed single batches
def test_per_step_schedules_and_random_numbers_match_one_step_at_a_time(bundled):
    one, one_trainer = _train_line(1, bundled=False)
    three, three_trainer = _train_line(3, bundled=bundled)
    assert three_trainer.global_step == one_trainer.global_step == 14
    lr_one, lr_three = (t.optimizers[0].param_groups[0]["lr"] for t in (one_trainer, three_trainer))
    assert lr_three == pytest.approx(lr_one)
    assert lr_one == pytest.approx(0.1 * 0.9 ** 14)  # one scheduler step per optimiser step
    assert torch.equal(one.w.weight, three.w.weight) and torch.equal(one.w.bias, three.w.bias)


class LineData(pl.LightningDataModule):
    """The line's batches, handed over as the trained module asks (zoo.data.step_bundles.training_batches)."""

    def train_dataloader(self):
        loader = DataLoader(torch.randn(14, 3, generator=torch.Generator().manual_seed(1)), batch_size=2)
        return training_batches(loader, self.trainer)


def test_a_datamodule_hands_a_plain_trainer_the_bundles_the_system_asks_for():
    one, one_trainer = _train_line(1, bundled=False)
    pl.seed_everything(0)
    three, three_trainer = Line(3), pl.Trainer(max_epochs=2, logger=False, enable_checkpointing=False,
                                               enable_progress_bar=False, enable_model_summary=False,
                                               accelerator="cpu")
    three_trainer.fit(three, datamodule=LineData())
    assert three_trainer.num_training_batches == 3  # 7 batches in bundles of 3, 3 and 1
    assert three_trainer.global_step == one_trainer.global_step == 14
    assert torch.equal(one.w.weight, three.w.weight) and torch.equal(one.w.bias, three.w.bias)


def test_max_steps_stops_inside_a_bundle():
    _, trainer = _train_line(4, bundled=True, max_steps=6)  # bundles of 4 and 3
    assert trainer.global_step == 6
