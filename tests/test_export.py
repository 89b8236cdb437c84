"""A recipe's Lightning checkpoint becomes a shipped folder + registry entry + card in one call."""

import json

import lightning.pytorch as pl
import pytest
import torch

import zoo
from zoo.export import ExportError, export_checkpoint, read_lightning_checkpoint
from zoo.hub import checkpoints_dir
from zoo.registry import create_model, get_pretrained_cfg
from zoo.systems.node_classification import NodeClassificationSystem

ARGS = {"in_channels": 6, "out_channels": 3, "hidden_channels": 4}
META = {
    "id": "gcn-tiny", "method": "GCN", "paper": "Kipf & Welling 2017", "task": "node-classification",
    "dataset": "Tiny", "split": "all", "reproduce": {"recipe": "recipes/gcn/cora.yaml"}, "evaluator": "planetoid-accuracy",
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
    with pytest.raises(ExportError, match="is a folder; pass the .ckpt file"):
        read_lightning_checkpoint(tmp_path)
    (tmp_path / "garbage.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ExportError, match="not a readable Lightning checkpoint"):
        read_lightning_checkpoint(tmp_path / "garbage.ckpt")


@pytest.mark.parametrize("bad_id", ["", ".", "..", "../x", "a/b", "/tmp/elsewhere", "gcn tiny", ".hidden"])
def test_an_id_that_is_not_a_folder_name_is_refused_and_touches_nothing(isolated_zoo, lightning_ckpt, bad_id):
    path, _ = lightning_ckpt
    export_checkpoint(path, META)  # a shipped model that a bad id must not delete or replace
    before = {p: p.read_bytes() for p in isolated_zoo.rglob("*") if p.is_file()}
    with pytest.raises(ExportError, match="invalid model id"):
        export_checkpoint(path, {**META, "id": bad_id})
    assert {p: p.read_bytes() for p in isolated_zoo.rglob("*") if p.is_file()} == before


def test_weights_with_nan_are_not_exported(isolated_zoo, lightning_ckpt, tmp_path):
    _, system = lightning_ckpt
    with torch.no_grad():
        next(system.net.parameters())[0] = float("nan")
    trainer = pl.Trainer(logger=False, enable_progress_bar=False, default_root_dir=tmp_path)
    trainer.strategy.connect(system)
    trainer.save_checkpoint(tmp_path / "diverged.ckpt")
    with pytest.raises(ExportError, match="NaN or infinite values"):
        export_checkpoint(tmp_path / "diverged.ckpt", META)
    assert list(checkpoints_dir().iterdir()) == []


CRASHING_EXPORT = """
import os, sys, torch
import zoo.export, zoo.io
from zoo.export import export_module
from zoo.registry import create_model

def crash_on_call(n, original):
    calls = []
    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            os._exit(9)
        return original(*args, **kwargs)
    return wrapper

step = sys.argv[1]
if step == "staging":          # killed while the new folder is being written: nothing visible changed
    zoo.export.publish = crash_on_call(1, None)
elif step == "after-journal":  # killed right after the commit point: the publish must be finished later
    zoo.io._roll_forward = crash_on_call(1, None)
elif step == "between-renames":  # folder swapped, registry entry not: the worst moment of the old code
    zoo.io.os.replace = crash_on_call(2, os.replace)  # 1: the journal, 2: the registry entry
torch.manual_seed(1)
export_module(create_model("gcn", **%r).eval(), "gcn", %r, %r)
"""


@pytest.mark.parametrize("step", ["staging", "after-journal", "between-renames"])
def test_an_export_killed_at_any_step_is_recovered_on_the_next_start(isolated_zoo, lightning_ckpt, step):
    import subprocess
    import sys

    path, system = lightning_ckpt
    first = export_checkpoint(path, META)
    script = CRASHING_EXPORT % (ARGS, ARGS, META)
    result = subprocess.run([sys.executable, "-c", script, step], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 9, result.stderr
    assert any(p.name.startswith(".") for p in checkpoints_dir().iterdir())  # it did leave something behind

    model = zoo.load("gcn-tiny")  # the next start finishes or undoes the export, then loads consistently
    cfg = get_pretrained_cfg("gcn-tiny")
    assert [p.name for p in checkpoints_dir().iterdir()] == ["gcn-tiny"]
    assert [p.name for p in (isolated_zoo / "pretrained").iterdir()] == ["gcn-tiny.json"]
    x, edge_index = torch.randn(5, 6), torch.randint(0, 5, (2, 8))
    if step == "staging":
        assert cfg.sha256 == first.sha256
        torch.testing.assert_close(model(x, edge_index), system.net.eval()(x, edge_index))
    else:
        torch.manual_seed(1)
        retrained = create_model("gcn", **ARGS).eval()
        assert cfg.sha256 != first.sha256
        torch.testing.assert_close(model(x, edge_index), retrained(x, edge_index))
