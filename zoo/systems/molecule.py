"""Graph regression on molecules: the training of ``nfp``, ``ecfp_mlp`` and ``mpnn``.

Targets are standardised with the training set's mean and standard deviation (Gilmer et al. 2017 train on
standardised targets; so does PyG's QM9 example): at the start of fitting the statistics are written into the
model's ``target_mean`` / ``target_std`` buffers, the loss compares the model's standardised output with the
standardised targets (MSE, as in both papers, or L1), and every logged metric is in physical units, computed by
:func:`zoo.metrics.regression.regression_metrics` (the function ``zoo eval`` uses) over the epoch's predictions:
``val/mae_<target>``, ``val/rmse_<target>`` per target (one W&B curve each), their means ``val/mae`` and
``val/rmse``, and for QM9 targets also ``val/error_ratio_<target>`` = MAE / chemical accuracy (Gilmer Table 5);
the same under ``test/`` for ``trainer.test``, which are the card's ``test_*`` names (:mod:`zoo.metrics`).

Learning-rate schedules: ``plateau`` (ReduceLROnPlateau on the validation loss, PyG's QM9 example),
``cosine`` (over ``max_epochs``), ``time_cosine`` (cosine over a wall-clock budget ``time_budget_min``, for runs
stopped by ``trainer.max_time``: the rate reaches its floor when the budget ends, however many epochs fit).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import lightning.pytorch as pl
import torch
import torch.nn.functional as F

from zoo.metrics import logged
from zoo.metrics.regression import regression_metrics
from zoo.systems import build_net
from zoo.systems.steps_per_execution import StepsPerExecution
from zoo.systems.optim import adam
from zoo.systems.step_logs import log_when_due, trainer_of


class MoleculeRegression(StepsPerExecution, pl.LightningModule):
    """Args:
    architecture: registered architecture ("nfp", "ecfp_mlp", "mpnn").
    model_args: its constructor args (JSON-able).
    init_from: a zoo id whose weights initialise the model (fine-tuning; the target statistics are then
        re-estimated on the new training set). With empty ``model_args`` its architecture and args are used.
    args_from: a zoo id whose architecture and args (not weights) are used when ``model_args`` is empty: the
        from-scratch control of a fine-tuning run.
    lr: Adam learning rate. weight_decay: L2 (Adam's, on all parameters).
    loss: "mse" or "l1", on standardised targets.
    scheduler: "plateau", "cosine", "time_cosine" or "none". lr_min: the floor of every schedule.
    plateau_factor, plateau_patience: ReduceLROnPlateau settings.
    time_budget_min: wall-clock minutes for "time_cosine".
    target_names: names for the logged per-target metrics (default: the datamodule's).
    chemical_accuracy: per-target chemical accuracy for the error ratio (default: the datamodule's
        ``chemical_accuracy``, which QM9's gives).
    steps_per_execution: optimiser steps per Lightning training step (:mod:`zoo.systems.steps_per_execution`): the same
        updates, with Lightning's per-step cost paid once per ``steps_per_execution`` batches.
    """

    def __init__(self, architecture: str = "nfp", model_args: dict[str, Any] | None = None,
                 init_from: str | None = None, args_from: str | None = None, lr: float = 1e-3, weight_decay: float = 0.0, loss: str = "mse",
                 scheduler: str = "plateau", lr_min: float = 1e-5, plateau_factor: float = 0.7,
                 plateau_patience: int = 5, time_budget_min: float = 8.0,
                 target_names: Sequence[str] | None = None, chemical_accuracy: Sequence[float] | None = None,
                 steps_per_execution: int = 1):
        super().__init__()
        if loss not in ("mse", "l1"):
            raise ValueError(f"loss must be 'mse' or 'l1', not {loss!r}")
        if scheduler not in ("plateau", "cosine", "time_cosine", "none"):
            raise ValueError(f"unknown scheduler {scheduler!r}; use plateau, cosine, time_cosine or none")
        self.set_steps_per_execution(steps_per_execution)
        self.scheduler_interval = "step" if scheduler == "time_cosine" else "epoch"  # when it steps
        self.save_hyperparameters()
        if not model_args and (init_from or args_from):  # the shipped model's own architecture and args
            from zoo.registry import get_pretrained_cfg

            source = get_pretrained_cfg(init_from or args_from)
            architecture, model_args = source.architecture, dict(source.model_args)
            self.hparams.update(architecture=architecture, model_args=model_args)  # what checkpoints record
        self.net = build_net(architecture, model_args, init_from)
        self._names = list(target_names or [])
        self._accuracy = list(chemical_accuracy or [])
        self._start_time: float | None = None

    # ------------------------------------------------------------------ data-dependent setup
    def setup(self, stage: str) -> None:
        dm = getattr(trainer_of(self), "datamodule", None)
        if dm is None:
            return
        if not self._names:
            self._names = list(getattr(dm, "target_names", []))
        if not self._accuracy:
            self._accuracy = list(getattr(dm, "chemical_accuracy", []))
        if stage == "fit":  # a resumed run restores the buffers from its checkpoint right after this
            y = dm.train_targets().float()
            if y.size(-1) != self.net.target_mean.numel():
                raise ValueError(f"the data has {y.size(-1)} targets but the model predicts "
                                 f"{self.net.target_mean.numel()}; set model_args.out_channels")
            self.net.target_mean.copy_(y.mean(0))
            self.net.target_std.copy_(y.std(0).clamp_min(1e-8) if len(y) > 1 else torch.ones_like(y[0]))

    @property
    def names(self) -> list[str]:
        n = self.net.target_mean.numel()
        return self._names if len(self._names) == n else [f"target_{i}" for i in range(n)]

    # ------------------------------------------------------------------ steps
    def forward(self, batch) -> torch.Tensor:
        return self.net(batch)

    def _standardised_loss(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss on standardised targets, and the model's standardised output."""
        standardised = self.net.forward_standardised(batch)
        target = (batch.y.view_as(standardised) - self.net.target_mean) / self.net.target_std
        fn = F.mse_loss if self.hparams.loss == "mse" else F.l1_loss
        return fn(standardised, target), standardised

    def _loss(self, batch) -> tuple[torch.Tensor, torch.Tensor]:
        """The loss, and the prediction in physical units (for the evaluation metrics)."""
        loss, standardised = self._standardised_loss(batch)
        return loss, standardised * self.net.target_std + self.net.target_mean

    def training_loss(self, batch) -> torch.Tensor:  # StepsPerExecution's training step
        loss, _ = self._standardised_loss(batch)  # no physical-unit prediction: nothing reads it in training
        return loss

    def log_training_loss(self, loss: torch.Tensor) -> None:
        log_when_due(self, {"train/loss": loss}, prog_bar=True)

    def on_validation_epoch_start(self) -> None:
        self._outputs = {"loss": 0.0, "pred": [], "target": []}

    def on_test_epoch_start(self) -> None:
        self._outputs = {"loss": 0.0, "pred": [], "target": []}

    def _evaluate(self, batch, split: str) -> None:
        loss, prediction = self._loss(batch)
        self._outputs["loss"] = self._outputs["loss"] + loss.detach() * prediction.size(0)
        self._outputs["pred"].append(prediction.detach())
        self._outputs["target"].append(batch.y.view_as(prediction))

    def _log_epoch(self, split: str) -> None:
        epoch = getattr(self, "_outputs", None)
        if not epoch or not epoch["pred"]:
            return
        pred, target = torch.cat(epoch["pred"]), torch.cat(epoch["target"])
        self.log(f"{split}/loss", epoch["loss"] / pred.size(0))
        metrics = logged(split, regression_metrics(pred, target, self.names, self._accuracy))
        first = f"{split}/mae_{self.names[0]}"
        for name, value in metrics.items():
            self.log(name, value, prog_bar=split == "val" and name == first)

    def validation_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch, batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_validation_epoch_end(self) -> None:
        self._log_epoch("val")

    def on_test_epoch_end(self) -> None:
        self._log_epoch("test")

    # ------------------------------------------------------------------ optimisation
    def on_train_start(self) -> None:
        self._start_time = time.monotonic()

    def _time_fraction(self, _step: int) -> float:
        if self._start_time is None:
            return 1.0
        fraction = min(1.0, (time.monotonic() - self._start_time) / (60 * self.hparams.time_budget_min))
        floor = self.hparams.lr_min / self.hparams.lr
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * fraction))

    def configure_optimizers(self):
        hp = self.hparams
        optimizer = adam(self.net.parameters(), self.device, lr=hp.lr, weight_decay=hp.weight_decay)
        if hp.scheduler == "none":
            return optimizer
        if hp.scheduler == "plateau":
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="min", factor=hp.plateau_factor, patience=hp.plateau_patience, min_lr=hp.lr_min)
            config = {"scheduler": scheduler, "interval": self.scheduler_interval}
            if self.automatic_optimization:  # manual optimisation: StepsPerExecution reads plateau_monitor
                config["monitor"] = self.plateau_monitor
            return {"optimizer": optimizer, "lr_scheduler": config}
        if hp.scheduler == "cosine":
            epochs = max(1, self.trainer.max_epochs or 1)
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs, eta_min=hp.lr_min)
        else:
            scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self._time_fraction)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": self.scheduler_interval}}
