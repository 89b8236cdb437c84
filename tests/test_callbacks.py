"""NonFiniteLossGuard stops a diverging run before any weight is updated with the bad loss, in automatic and
manual optimisation, and on a real zoo system (GCN node classification with NaN features)."""

import lightning.pytorch as pl
import pytest
import torch
from torch_geometric.data import Data

from zoo.callbacks import NonFiniteLossError, NonFiniteLossGuard
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


def trainer(tmp_path, callbacks):
    return pl.Trainer(max_epochs=1, callbacks=callbacks, logger=False, enable_progress_bar=False,
                      enable_model_summary=False, enable_checkpointing=False, default_root_dir=tmp_path)


@pytest.mark.parametrize("manual", [False, True], ids=["automatic", "manual"])
def test_a_nan_loss_stops_training_before_the_update(tmp_path, manual):
    model = Regression(manual=manual)
    with pytest.raises(NonFiniteLossError, match="training loss is nan at epoch 0, step 2"):
        trainer(tmp_path, [NonFiniteLossGuard()]).fit(model)
    assert torch.isfinite(model.layer.weight).all() and torch.isfinite(model.layer.bias).all()
    torch.testing.assert_close(model.layer.weight, model.weights_seen[-1])  # no update after the NaN batch


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


def test_gan_module_still_exports_the_error_class():
    from zoo.systems.gan import NonFiniteLossError as FromGan

    assert FromGan is NonFiniteLossError


def test_compile_modules_keeps_parameter_names_and_trains(tmp_path):
    """In-place compilation: the state_dict (what checkpoints and export read) has the uncompiled names."""
    import lightning.pytorch as pl

    from zoo.callbacks import CompileModules
    from zoo.systems.node_classification import NodeClassificationSystem

    system = NodeClassificationSystem(model_args={"in_channels": 4, "hidden_channels": 4, "out_channels": 2})
    names = set(system.state_dict())
    CompileModules().setup(pl.Trainer(logger=False, enable_checkpointing=False), system, "fit")
    assert system.net._compiled_call_impl is not None
    assert set(system.state_dict()) == names
