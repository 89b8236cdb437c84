"""A recipe's Lightning checkpoint becomes a shipped folder + registry entry + card in one call."""

import json

import lightning.pytorch as pl
import pytest
import torch

import zoo
from zoo.export import ExportError, export_checkpoint, read_lightning_checkpoint
from zoo.hub import checkpoints_dir
from zoo.registry import get_pretrained_cfg
from zoo.systems.node_classification import NodeClassificationSystem

ARGS = {"in_channels": 6, "out_channels": 3, "hidden_channels": 4}
META = {
    "id": "gcn-tiny", "method": "GCN", "paper": "Kipf & Welling 2017", "task": "node-classification",
    "dataset": "Tiny", "split": "all", "recipe": "python -c pass", "evaluator": "planetoid-accuracy",
    "metrics": [{"name": "test_accuracy", "value": 50.0, "unit": "%", "command": "python -c pass"}],
}


@pytest.fixture
def lightning_ckpt(tmp_path):
    system = NodeClassificationSystem("gcn", ARGS)
    trainer = pl.Trainer(max_epochs=1, logger=False, enable_progress_bar=False, enable_model_summary=False,
                         default_root_dir=tmp_path)
    trainer.strategy.connect(system)
    trainer.save_checkpoint(tmp_path / "last.ckpt")
    return tmp_path / "last.ckpt", system


def test_export_then_load_by_id_gives_the_same_outputs(isolated_zoo, lightning_ckpt):
    path, system = lightning_ckpt
    cfg = export_checkpoint(path, META)
    folder = checkpoints_dir() / "gcn-tiny"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert get_pretrained_cfg("gcn-tiny").sha256 == cfg.sha256
    assert (isolated_zoo / "MODEL_CARDS.md").read_text().count("gcn-tiny") >= 1
    x, edge_index = torch.randn(5, 6), torch.randint(0, 5, (2, 8))
    torch.testing.assert_close(zoo.load("gcn-tiny")(x, edge_index), system.net.eval()(x, edge_index))
    assert json.loads((folder / "config.json").read_text())["pretrained_cfg"]["id"] == "gcn-tiny"


def test_bad_metadata_leaves_nothing_behind(isolated_zoo, lightning_ckpt):
    path, _ = lightning_ckpt
    with pytest.raises(ValueError, match="missing required keys"):
        export_checkpoint(path, {"id": "gcn-broken"})
    assert list(checkpoints_dir().iterdir()) == []
    assert list((isolated_zoo / "pretrained").iterdir()) == []


def test_checkpoint_not_from_a_zoo_system_is_rejected(tmp_path):
    torch.save({"state_dict": {}, "hyper_parameters": {}}, tmp_path / "other.ckpt")
    with pytest.raises(ExportError, match="not written by a zoo system"):
        read_lightning_checkpoint(tmp_path / "other.ckpt")
    with pytest.raises(ExportError, match="does not exist"):
        read_lightning_checkpoint(tmp_path / "missing.ckpt")
    (tmp_path / "garbage.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ExportError, match="not a readable Lightning checkpoint"):
        read_lightning_checkpoint(tmp_path / "garbage.ckpt")
