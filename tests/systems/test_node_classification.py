import lightning.pytorch as pl
import torch

from zoo.data.planetoid import PlanetoidDataModule, load_planetoid
from zoo.metrics import card_name
from zoo.metrics.classification import masked_accuracy
from zoo.registry import get_pretrained_cfg
from zoo.systems.node_classification import NodeClassificationSystem


def test_gcn_logs_the_cards_accuracy_in_percent_under_the_cards_name(data_root, tmp_path):
    pl.seed_everything(0)
    system = NodeClassificationSystem("gcn", {"in_channels": 1433, "out_channels": 7, "hidden_channels": 16})
    trainer = pl.Trainer(max_epochs=5, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False, default_root_dir=tmp_path, num_sanity_val_steps=0)
    dm = PlanetoidDataModule(name="Cora", root=str(data_root))
    trainer.fit(system, datamodule=dm)
    trainer.test(system, datamodule=dm, verbose=False)
    logged = trainer.callback_metrics
    card = {m.name.removesuffix("_mean") for m in get_pretrained_cfg("gcn-cora").metrics}  # _mean: over seeds
    assert card == {"test_accuracy"} and card <= {card_name(k) for k in logged}
    data = load_planetoid("Cora", data_root)
    with torch.no_grad():
        fraction = masked_accuracy(system.eval()(data), data.y, data.test_mask)
    assert 1 < logged["test/accuracy"] <= 100  # percent, as on the card
    torch.testing.assert_close(logged["test/accuracy"], fraction * 100)
