"""Semi-supervised node classification (Kipf & Welling 2017, section 3.1).

Loss: cross-entropy over the labelled training nodes only,
:math:`\\mathcal{L} = -\\sum_{l \\in \\mathcal{Y}_L} \\sum_f Y_{lf} \\ln Z_{lf}`, with L2 regularisation on the
parameters the model names in ``regularised_parameters()`` (the first layer for GCN) and none on the rest.
Logged at validation: ``val/accuracy`` (%) and ``val/loss``, and the same under ``test/`` (every validation, and
in ``trainer.test``): the card's ``test_accuracy`` (:mod:`zoo.metrics.classification`, names :mod:`zoo.metrics`).
"""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from zoo.metrics import logged
from zoo.metrics.classification import node_classification_metrics
from zoo.systems import build_net
from zoo.systems.optim import adam
from zoo.systems.step_logs import log_when_due


class NodeClassificationSystem(pl.LightningModule):
    """Args:
    architecture: registered architecture name (e.g. "gcn").
    model_args: its constructor args (JSON-able).
    lr: Adam learning rate (paper: 0.01).
    weight_decay: L2 on the regularised parameters (paper: 5e-4 on the first layer).
    init_from: a zoo id whose weights initialise the model (fine-tuning).
    """

    def __init__(self, architecture: str = "gcn", model_args: dict[str, Any] | None = None, lr: float = 0.01,
                 weight_decay: float = 5e-4, init_from: str | None = None):
        super().__init__()
        self._fits_checked = False
        self.save_hyperparameters()
        self.net = build_net(architecture, model_args, init_from)

    def forward(self, data: Data) -> torch.Tensor:
        return self.net(data.x, data.edge_index)

    def _check_fits(self, data: Data) -> None:
        expected = self.hparams.model_args.get("in_channels")
        if expected is not None and data.num_features != expected:
            raise ValueError(f"the data has {data.num_features} node features but model_args.in_channels is "
                             f"{expected}; set model.init_args.model_args.in_channels to {data.num_features}")

    def training_step(self, data: Data, batch_idx: int) -> torch.Tensor:
        if not self._fits_checked:  # the features are the same at every step: checked once per run
            self._check_fits(data)
            self._fits_checked = True
        logits = self(data)
        loss = F.cross_entropy(logits[data.train_mask], data.y[data.train_mask])
        log_when_due(self, {"train/loss": loss})
        return loss

    def _evaluate(self, data: Data, split: str) -> None:
        logits = self(data)
        for name in ("val", "test") if split == "val" else ("test",):
            mask = data[f"{name}_mask"]
            metrics = logged(name, node_classification_metrics(logits, data.y, mask))
            for key, value in metrics.items():
                self.log(key, value, batch_size=int(mask.sum()), prog_bar=key == "val/accuracy")

    def validation_step(self, data: Data, batch_idx: int) -> None:
        self._evaluate(data, "val")

    def test_step(self, data: Data, batch_idx: int) -> None:
        self._evaluate(data, "test")

    def configure_optimizers(self) -> torch.optim.Optimizer:
        regularised = getattr(self.net, "regularised_parameters", lambda: list(self.net.parameters()))()
        ids = {id(p) for p in regularised}
        rest = [p for p in self.net.parameters() if id(p) not in ids]
        return adam([
            {"params": regularised, "weight_decay": self.hparams.weight_decay},
            {"params": rest, "weight_decay": 0.0},
        ], self.device, lr=self.hparams.lr)
