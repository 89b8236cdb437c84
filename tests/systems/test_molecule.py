import lightning.pytorch as pl
import pytest
import torch

from zoo.data.moleculenet import MoleculeNetDataModule
from zoo.data.qm9 import QM9DataModule
from zoo.metrics import card_name
from zoo.registry import get_pretrained_cfg
from zoo.systems.molecule import MoleculeRegression


def _fit(system, dm, tmp_path, **kwargs):
    trainer = pl.Trainer(max_epochs=kwargs.pop("max_epochs", 1), logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
                         num_sanity_val_steps=0, **kwargs)
    trainer.fit(system, datamodule=dm)
    return trainer


def test_nfp_learns_esol_and_standardises(data_root, tmp_path):
    pl.seed_everything(0)
    dm = MoleculeNetDataModule(dataset="esol", root=str(data_root), featurizer="nfp", limit=200, batch_size=40)
    system = MoleculeRegression("nfp", {"hidden_channels": 16, "num_layers": 2, "fingerprint_dim": 16,
                                        "mlp_hidden": 32}, lr=1e-2, scheduler="none")
    trainer = _fit(system, dm, tmp_path, max_epochs=6)
    y = dm.train_targets()
    torch.testing.assert_close(system.net.target_mean, y.mean(0))  # statistics of the training split
    metrics = trainer.callback_metrics
    assert "val/mae_log solubility" in metrics and "val/rmse_log solubility" in metrics
    assert metrics["val/rmse"] < y.std()  # better than predicting the mean
    trainer.test(system, datamodule=dm, verbose=False)
    card = {m.name for m in get_pretrained_cfg("nfp-esol").metrics}
    assert card <= {card_name(k) for k in trainer.callback_metrics}  # the run logs what the card reports


class QM9Subset(QM9DataModule):
    """Any class name: the system reads the datamodule's ``chemical_accuracy``, not its class."""


def test_molecule_datamodules_say_their_chemical_accuracy():
    assert QM9DataModule(targets=[0, 2, 16]).chemical_accuracy[:2] == [0.1, 0.043]
    assert QM9DataModule(targets=[16]).chemical_accuracy[0] != QM9DataModule(targets=[16]).chemical_accuracy[0]
    assert MoleculeNetDataModule(dataset="esol").chemical_accuracy == []


def test_mpnn_on_qm9_logs_per_target_error_ratio(data_root, tmp_path):
    pl.seed_everything(0)
    dm = QM9Subset(root=str(data_root), targets=[0, 2], limit=150, num_val=20, num_test=20, batch_size=32)
    system = MoleculeRegression("mpnn", {"hidden_channels": 8, "edge_hidden": 8, "num_steps": 2,
                                         "set2set_steps": 1, "out_channels": 2}, scheduler="time_cosine",
                                time_budget_min=0.1)
    trainer = _fit(system, dm, tmp_path, limit_train_batches=2)
    trainer.test(system, datamodule=dm, verbose=False)
    metrics = trainer.callback_metrics
    assert {"test/mae_mu", "test/mae_homo", "test/error_ratio_mu", "test/error_ratio_homo"} <= set(metrics)
    torch.testing.assert_close(metrics["test/error_ratio_mu"], metrics["test/mae_mu"] / 0.1)
    assert {m.name for m in get_pretrained_cfg("mpnn-qm9-mu").metrics} <= {card_name(k) for k in metrics}


def test_bad_settings_fail_clearly():
    with pytest.raises(ValueError, match="loss"):
        MoleculeRegression("nfp", {}, loss="huber")
    with pytest.raises(ValueError, match="scheduler"):
        MoleculeRegression("nfp", {}, scheduler="step")
