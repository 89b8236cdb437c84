import lightning.pytorch as pl
import pytest
import torch
from torch.utils.data import DataLoader

from zoo.callbacks import CPUTimeBudget
from zoo.systems.aae import AAESystem


def test_cpu_budget_stops_training_and_survives_a_resume(tmp_path):
    budget = CPUTimeBudget(minutes=1e-9)
    system = AAESystem("aae_binary", {"in_features": 6, "latent_dim": 2, "hidden": [4]}, discriminator_hidden=[4])
    trainer = pl.Trainer(max_epochs=3, logger=False, enable_progress_bar=False, enable_model_summary=False,
                         enable_checkpointing=False, default_root_dir=tmp_path, callbacks=[budget])
    trainer.fit(system, DataLoader(torch.ones(40, 6), batch_size=4))
    assert trainer.global_step == 3  # stopped after the first batch of the first epoch
    assert budget.used_seconds > 0
    resumed = CPUTimeBudget(minutes=5)
    resumed.load_state_dict(budget.state_dict())
    assert resumed.used_seconds == budget.used_seconds
    with pytest.raises(ValueError, match="positive"):
        CPUTimeBudget(0)
