"""Recipes and the training CLI: every recipe parses and instantiates; bad recipes fail clearly; runs resume."""

from pathlib import Path

import pytest
import torch
import yaml

from zoo.training import check_recipe, run_name_of, train, wandb_mode

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "recipes").rglob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=[str(r.relative_to(REPO / "recipes")) for r in RECIPES])
def test_every_recipe_parses_and_instantiates(recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = train(recipe, [f"--trainer.default_root_dir={tmp_path}"], run=False)
    assert cli.model.net is not None, "systems keep the shipped module in .net"
    assert cli.datamodule is not None


def test_malformed_recipes_fail_with_a_clear_message(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        check_recipe(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: [unclosed")
    with pytest.raises(ValueError, match="not valid YAML"):
        check_recipe(bad)
    bad.write_text("trainer: {max_epochs: 1}\n")
    with pytest.raises(ValueError, match="'model' section"):
        check_recipe(bad)


def test_unknown_recipe_option_is_rejected(tmp_path):
    with pytest.raises(SystemExit):
        train(REPO / "recipes/gcn/cora.yaml", ["--model.init_args.learning_rate=1", f"--trainer.default_root_dir={tmp_path}"],
              run=False)


def test_run_name_follows_the_recipe_path():
    assert run_name_of(Path("recipes/gcn/cora.yaml")) == "gcn/cora"


def test_wandb_is_offline_without_credentials(monkeypatch, tmp_path):
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert wandb_mode() == "offline"
    monkeypatch.setenv("WANDB_API_KEY", "x" * 40)
    assert wandb_mode() == "online"


def test_interrupted_run_resumes_from_last_checkpoint(data_root, tmp_path, monkeypatch, caplog):
    """A run stopped after 3 epochs and started again with the same command continues to epoch 5."""
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    recipe = REPO / "recipes/gcn/cora.yaml"
    common = ["--trainer.enable_progress_bar=false", f"--trainer.default_root_dir={tmp_path / 'run'}"]
    train(recipe, ["--trainer.max_epochs=3", *common])
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 3
    first_id = (tmp_path / "run" / "wandb_run_id").read_text()
    caplog.clear()
    train(recipe, ["--trainer.max_epochs=5", *common])
    assert f"Restored all states from the checkpoint at {last}" in caplog.text
    assert torch.load(last, weights_only=True)["global_step"] == 5  # 3 restored + 2 more
    assert (tmp_path / "run" / "wandb_run_id").read_text() == first_id  # same W&B run
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["model"]["init_args"]["architecture"] == "gcn"
