"""The zoo's callbacks. NonFiniteLossGuard stops a diverging run before any weight is updated with the bad loss,
in automatic and manual optimisation, and on a real zoo system (GCN node classification with NaN features);
CPUTimeLimit stops on CPU time and keeps its count across a resume; SampleGrid and PeriodicFID watch a generator
every N epochs and log what the cards name."""

import lightning.pytorch as pl
import numpy as np
import pytest
import torch
from PIL import Image
from torch_geometric.data import Data

from zoo.callbacks import (
    CPUTimeLimit,
    NonFiniteLossError,
    NonFiniteLossGuard,
    PeriodicFID,
    SampleGrid,
)
from zoo.systems.aae import AAESystem
from zoo.systems.gan import NSGAN
from zoo.systems.node_classification import NodeClassificationSystem


class Regression(pl.LightningModule):
    """y = w x; the batch of ``bad_step`` holds a NaN, so its loss is NaN."""

    def __init__(self, manual: bool = False, bad_step: int = 2):
        super().__init__()
        self.layer = torch.nn.Linear(3, 1)
        self.automatic_optimization = not manual
        self.bad_step, self.weights_seen = bad_step, []

    def training_step(self, batch, batch_idx):
        x = torch.ones(4, 3) * (float("nan") if batch_idx == self.bad_step else 1.0)
        loss = self.layer(x).pow(2).mean()
        self.weights_seen.append(self.layer.weight.detach().clone())
        if self.automatic_optimization:
            return loss
        opt = self.optimizers()
        opt.zero_grad()
        self.manual_backward(loss)
        opt.step()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)

    def train_dataloader(self):
        return torch.utils.data.DataLoader(torch.zeros(10, 1), batch_size=1)


def trainer(tmp_path, callbacks, **overrides):
    args = {"max_epochs": 1, "logger": False, "enable_progress_bar": False, "enable_model_summary": False,
            "enable_checkpointing": False, "default_root_dir": tmp_path}
    return pl.Trainer(callbacks=callbacks, **{**args, **overrides})


@pytest.mark.parametrize("manual", [False, True], ids=["automatic", "manual"])
def test_a_nan_loss_stops_training_before_the_update(tmp_path, manual):
    model = Regression(manual=manual)
    with pytest.raises(NonFiniteLossError, match="training loss is nan at epoch 0, step 2"):
        trainer(tmp_path, [NonFiniteLossGuard()]).fit(model)
    assert torch.isfinite(model.layer.weight).all() and torch.isfinite(model.layer.bias).all()
    torch.testing.assert_close(model.layer.weight, model.weights_seen[-1])  # no update after the NaN batch


def test_deferred_guard_reads_the_device_flag_only_on_logging_steps(tmp_path, monkeypatch):
    """On a GPU the guard does not read every loss back (a host-device synchronisation per step): the verdicts
    gather in a flag read on the steps Lightning logs. Forced here on the CPU; the flag's reads counted."""
    reads = []
    original = NonFiniteLossGuard._check_deferred

    def counted(self, trainer, pl_module):
        reads.append(self._bad is not None)
        original(self, trainer, pl_module)

    monkeypatch.setattr(NonFiniteLossGuard, "_check_deferred", counted)
    model = Regression(manual=True, bad_step=5)
    run = trainer(tmp_path, [NonFiniteLossGuard(deferred=True)], log_every_n_steps=4)
    with pytest.raises(NonFiniteLossError, match="between steps 4 and 8"):
        run.fit(model)
    assert len(model.weights_seen) == 8  # stopped at the first logging step after the NaN, not at the epoch end
    assert sum(reads) == 2  # the flag was read twice (steps 4 and 8), not once per step


def test_deferred_guard_keeps_a_checkpoint_from_being_written_after_a_nan(tmp_path):
    from lightning.pytorch.callbacks import ModelCheckpoint

    model = Regression(manual=True, bad_step=1)
    saves = ModelCheckpoint(dirpath=tmp_path / "ckpt", every_n_train_steps=3, save_top_k=-1)
    run = trainer(tmp_path, [NonFiniteLossGuard(deferred=True), saves], enable_checkpointing=True,
                  log_every_n_steps=100)
    with pytest.raises(NonFiniteLossError, match="no checkpoint holds the weights"):
        run.fit(model)
    assert not list(tmp_path.rglob("*.ckpt"))  # the save at step 3 was refused, nothing else was due


def test_without_the_guard_the_same_run_ends_with_nan_weights(tmp_path):
    model = Regression()
    trainer(tmp_path, []).fit(model)  # what every system did before the guard: rc 0, weights all NaN
    assert torch.isnan(model.layer.weight).all()


def test_guard_stops_a_zoo_system(tmp_path):
    x = torch.randn(6, 4)
    x[0, 0] = float("nan")
    data = Data(x=x, edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]), y=torch.tensor([0, 1, 0, 1, 0, 1]),
                train_mask=torch.ones(6, dtype=torch.bool))
    system = NodeClassificationSystem("gcn", {"in_channels": 4, "out_channels": 2, "hidden_channels": 3})
    loader = torch.utils.data.DataLoader([data], batch_size=None)
    with pytest.raises(NonFiniteLossError, match="NodeClassificationSystem"):
        trainer(tmp_path, [NonFiniteLossGuard()]).fit(system, loader)
    assert all(torch.isfinite(p).all() for p in system.parameters())


def test_compile_modules_keeps_parameter_names_and_trains(tmp_path, monkeypatch):
    """In-place compilation (``nn.Module.compile``): the state_dict (what checkpoints and export read) has the
    uncompiled names."""
    import lightning.pytorch as pl

    from zoo.callbacks import CompileModules
    from zoo.systems.node_classification import NodeClassificationSystem

    system = NodeClassificationSystem(model_args={"in_channels": 4, "hidden_channels": 4, "out_channels": 2})
    names = set(system.state_dict())
    compiled = []
    real_compile = torch.nn.Module.compile
    monkeypatch.setattr(torch.nn.Module, "compile", lambda self, **kw: (compiled.append(self), real_compile(self, **kw)))
    CompileModules().setup(pl.Trainer(logger=False, enable_checkpointing=False), system, "fit")
    assert system.net in compiled
    assert set(system.state_dict()) == names


# ---- CPUTimeLimit

def test_cpu_time_limit_stops_training_and_survives_a_resume(tmp_path):
    limit = CPUTimeLimit(minutes=1e-9)
    system = AAESystem("aae_binary", {"in_features": 6, "latent_dim": 2, "hidden": [4]}, discriminator_hidden=[4])
    run = trainer(tmp_path, [limit], max_epochs=3)
    run.fit(system, torch.utils.data.DataLoader(torch.ones(40, 6), batch_size=4))
    assert run.global_step == 3  # stopped after the first batch of the first epoch
    assert limit.used_seconds > 0
    resumed = CPUTimeLimit(minutes=5)
    resumed.load_state_dict(limit.state_dict())
    assert resumed.used_seconds == limit.used_seconds
    with pytest.raises(ValueError, match="positive"):
        CPUTimeLimit(0)


# ---- SampleGrid and PeriodicFID on a tiny GAN

TINY_GAN = {"model_args": {"image_size": 28, "channels": 1, "latent_dim": 8, "base_width": 4},
            "discriminator_args": {"base_width": 4}}


class ImageLogger(pl.loggers.Logger):
    """Keeps what a W&B logger would be sent."""

    def __init__(self):
        super().__init__()
        self.images, self.metrics = [], []

    name, version = "memory", 0

    def log_metrics(self, metrics, step=None):
        self.metrics.append(dict(metrics))

    def log_hyperparams(self, params, *args, **kwargs):
        pass

    def log_image(self, key, images, step=None, **kwargs):
        self.images.append((key, images, kwargs, step))


class Digits(pl.LightningDataModule):
    def train_dataloader(self):
        return torch.utils.data.DataLoader(torch.rand(8, 1, 28, 28) * 2 - 1, batch_size=4)

    def real_images(self, n, split=None):
        return torch.zeros(n, 1, 28, 28, dtype=torch.uint8)


def fit_gan(tmp_path, callbacks, epochs, logger=None, datamodule=None):
    system = NSGAN(**TINY_GAN)
    trainer = pl.Trainer(max_epochs=epochs, callbacks=callbacks, logger=logger or False, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False, default_root_dir=tmp_path,
                         accelerator="cpu", log_every_n_steps=1)
    trainer.fit(system, datamodule=datamodule or Digits())
    return trainer, system


def test_sample_grid_logs_a_uint8_grid_of_the_right_shape_every_n_epochs(tmp_path):
    logger = ImageLogger()
    fit_gan(tmp_path, [SampleGrid(every_n_epochs=2, num_images=9)], epochs=5, logger=logger)
    assert [step for *_, step in logger.images] == [8, 16]  # after epochs 2 and 4 (2 batches x 2 optimisers)
    key, images, kwargs, _ = logger.images[-1]
    grid = images[0]
    assert key == "samples" and grid.dtype == np.uint8  # wandb.Image turns float arrays black
    assert grid.shape == (3 * 30 + 2, 3 * 30 + 2, 3)  # 3 x 3 cells of 28 px, 2 px padding, RGB
    assert grid.max() > 0 and kwargs["caption"] == ["epoch 3, generator step 8"]
    with Image.open(tmp_path / "samples" / "latest.png") as png:
        assert png.size == (92, 92)


def test_sample_grid_samples_the_fixed_latents_in_eval_mode():
    system = NSGAN(**TINY_GAN)
    grid = SampleGrid(num_images=4)
    first = grid.sample(system)
    assert system.net.training and torch.equal(first, grid.sample(system))  # mode restored, same latents
    expected = system.net.eval().sample(4, seed=0)  # BatchNorm with running statistics, not the batch's
    assert torch.equal(first, expected) and not torch.equal(first, system.net.train().sample(4, seed=0))
    with pytest.raises(ValueError, match="every_n_epochs"):
        SampleGrid(every_n_epochs=-1)


def test_periodic_fid_logs_under_the_cards_metric_names(tmp_path, monkeypatch):
    from zoo.metrics import fid
    from zoo.registry import get_pretrained_cfg

    calls = []

    def fake_evaluate(generator, datamodule, n_fake, n_real, seed=0):
        calls.append((n_fake, n_real, seed))
        return {"fid": 12.5, "kid": 0.01, "kid_std": 0.002}

    monkeypatch.setattr(fid, "evaluate_generator", fake_evaluate)
    logger = ImageLogger()
    trainer, _ = fit_gan(tmp_path, [PeriodicFID(every_n_epochs=2, num_generated=50, num_real=60)], epochs=3,
                         logger=logger)
    assert calls == [(50, 60, 0)]  # once in three epochs
    assert trainer.callback_metrics["val/fid"].item() == pytest.approx(12.5)
    logged = {name.split("/", 1)[1] for m in logger.metrics for name in m if name.startswith("val/")}
    # the card's quick-check fid and kid (fid_quick/kid_quick once the 10k figures are the headline)
    assert {m.name.removesuffix("_quick") for m in get_pretrained_cfg("nsgan-mnist").metrics} <= logged


def test_periodic_fid_is_skipped_with_a_warning_without_real_images(tmp_path):
    class NoReal(pl.LightningDataModule):
        train_dataloader = Digits.train_dataloader

    with pytest.warns(UserWarning, match="real_images"):
        trainer, _ = fit_gan(tmp_path, [PeriodicFID(every_n_epochs=1)], epochs=1, datamodule=NoReal())
    assert "val/fid" not in trainer.callback_metrics


def test_generator_ema_advances_once_per_generator_step_and_ships_the_average(tmp_path):
    from zoo.callbacks import GeneratorEMA
    from zoo.systems.gan import WGAN

    class CountingEMA(GeneratorEMA):
        updates_at: list

        def should_update(self, step_idx=None, epoch_idx=None):
            due = super().should_update(step_idx, epoch_idx)
            if due:
                self.updates_at.append(self.system.generator_updates)
            return due

    ema = CountingEMA(decay=0.9)
    ema.updates_at = []
    system = WGAN(**TINY_GAN)  # 5 discriminator steps per generator step: global_step moves 6 per update
    raw = {}

    class KeepRaw(pl.Callback):
        def on_train_batch_end(self, trainer, pl_module, *args):
            raw.update({k: v.clone() for k, v in pl_module.net.state_dict().items()})

    last = pl.callbacks.ModelCheckpoint(dirpath=tmp_path, save_last=True)
    trainer = pl.Trainer(max_epochs=5, callbacks=[KeepRaw(), ema, last], logger=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path, accelerator="cpu")
    trainer.fit(system, datamodule=Digits())  # 2 batches an epoch, 10 discriminator steps: 2 generator steps
    assert system.generator_updates == 2
    assert ema.updates_at == [1, 2]
    # at the end the model holds the average, which differs from the last raw generator
    assert any(not torch.equal(system.net.state_dict()[k], raw[k]) for k in raw if raw[k].is_floating_point())
    checkpoint = torch.load(tmp_path / "last.ckpt", weights_only=True)
    shipped = {k: v for k, v in checkpoint["state_dict"].items() if k.startswith("net.")}
    assert all(torch.equal(v, system.state_dict()[k]) for k, v in shipped.items())  # the average is what exports
    assert all(torch.equal(checkpoint["current_model_state"][k], raw[k[len("net."):]])
               for k in shipped)  # and the raw weights travel beside it, for resuming
    assert ema.state_dict()["averaged_at_generator_step"] == 2


def test_warmed_up_ema_forgets_the_first_weights_quickly():
    from zoo.callbacks import warmed_up_ema

    average = torch.zeros(1)
    for n in range(100):
        average = warmed_up_ema(average, torch.ones(1), torch.tensor(n), decay=0.999)
    assert 0.6 < average.item() < 1.0  # a plain 0.999 EMA from 0 would still be at 0.095


def test_generator_ema_refuses_a_system_without_a_generator(tmp_path):
    from zoo.callbacks import GeneratorEMA

    with pytest.raises(TypeError, match="generator"):
        trainer(tmp_path, [GeneratorEMA()]).fit(Regression())
