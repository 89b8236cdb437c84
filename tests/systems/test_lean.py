"""LeanSteps: Lightning's per-hook bookkeeping bypasses nn.Module.__setattr__; everything else still uses it."""

import lightning.pytorch as pl
import pytest
import torch

from zoo.systems.lean import LeanSteps


class Plain(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.layer = torch.nn.Linear(2, 1)

    def training_step(self, batch, batch_idx):
        self.hook_seen = self._current_fx_name  # Lightning's bookkeeping, as the step sees it
        return self.layer(batch).pow(2).mean()

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.1)


class Lean(LeanSteps, Plain):
    pass


def _names_through_module_setattr(model, monkeypatch) -> list[str]:
    names = []
    original = torch.nn.Module.__setattr__

    def recording(self, name, value):
        names.append(name)
        original(self, name, value)

    monkeypatch.setattr(torch.nn.Module, "__setattr__", recording)
    trainer = pl.Trainer(max_steps=3, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)
    trainer.fit(model, torch.utils.data.DataLoader(torch.randn(12, 2), batch_size=4))
    return names


@pytest.mark.parametrize("cls, bypassed", [(Plain, False), (Lean, True)])
def test_hook_names_skip_module_setattr_only_with_the_mixin(cls, bypassed, monkeypatch):
    model = cls()
    names = _names_through_module_setattr(model, monkeypatch)
    assert ("_current_fx_name" not in names) == bypassed
    assert model.hook_seen == "training_step"  # the bookkeeping still works through the mixin


def test_other_attributes_still_register():
    model = Lean()
    model.extra = torch.nn.Linear(1, 1)
    model.scale = torch.nn.Parameter(torch.ones(1))
    assert "extra" in model._modules and "scale" in model._parameters
    model._current_fx_name = "training_step"
    assert vars(model)["_current_fx_name"] == "training_step"
