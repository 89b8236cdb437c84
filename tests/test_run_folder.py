"""A run read back from its folder: its result checkpoint, recipe, W&B id, and the id whose protocol scores it."""

import json
from pathlib import Path

import pytest
from best_checkpoint_recipe import write_best_and_last_recipe

from zoo.run_folder import RunFolderError, TrainedRun, looks_like_run, open_run, protocol_id
from zoo.training import fit

QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
GAN_ARGS = {"latent_dim": 8, "channels": 1}


def _entry(registry: Path, model_id: str, recipe: str, model_args: dict) -> None:
    (registry / f"{model_id}.json").write_text(json.dumps({
        "id": model_id, "architecture": "dcgan_generator", "model_args": model_args, "method": "GAN",
        "paper": "p", "task": "image-generation", "dataset": "MNIST", "split": "train",
        "reproduce": {"recipe": recipe}}))


def test_the_id_is_chosen_by_recipe_then_by_model(isolated_zoo):
    registry = isolated_zoo / "pretrained"
    _entry(registry, "gan-a", "recipes/gan/a.yaml", GAN_ARGS)
    _entry(registry, "gan-b", "recipes/gan/shared.yaml", GAN_ARGS)
    _entry(registry, "gan-c", "recipes/gan/shared.yaml", {**GAN_ARGS, "latent_dim": 16})
    run = TrainedRun(dir=None, checkpoint=Path("x.ckpt"), recipe="/somewhere/recipes/gan/a.yaml")
    assert protocol_id(run, "dcgan_generator", {"latent_dim": 99}) == "gan-a"  # its recipe's one id
    run.recipe = "recipes/gan/shared.yaml"
    assert protocol_id(run, "dcgan_generator", {**GAN_ARGS, "latent_dim": 16}) == "gan-c"  # two ids: the model
    run.recipe = "recipes/gan/debug.yaml"  # no id trains it: the one id of this model
    assert protocol_id(run, "dcgan_generator", {**GAN_ARGS, "latent_dim": 16}) == "gan-c"
    with pytest.raises(RunFolderError, match="several shipped ids could score recipe .*gan-a, gan-b.*--protocol"):
        protocol_id(run, "dcgan_generator", GAN_ARGS)
    with pytest.raises(RunFolderError, match="no shipped id trains recipe .*--protocol ID .*gan-a, gan-b, gan-c"):
        protocol_id(run, "dcgan_generator", {"latent_dim": 3})


def test_paths_and_ids_are_told_apart(tmp_path, monkeypatch):
    assert looks_like_run("runs/gcn/cora/abc") and looks_like_run("last.ckpt")
    assert not looks_like_run("gcn-cora") and not looks_like_run("hf-hub:org/name")
    (tmp_path / "gcn-cora").mkdir()  # a folder named like an id: the id wins, a path names the folder
    monkeypatch.chdir(tmp_path)
    assert not looks_like_run("gcn-cora") and looks_like_run("./gcn-cora")
    with pytest.raises(RunFolderError, match="does not exist; pass a run folder"):
        open_run(tmp_path / "missing")
    with pytest.raises(RunFolderError, match="holds no checkpoint"):
        open_run(tmp_path)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(RunFolderError, match="neither a run folder nor a Lightning checkpoint"):
        open_run(tmp_path / "notes.txt")


def test_a_run_folder_gives_its_best_checkpoint_recipe_and_wandb_id(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    write_best_and_last_recipe(Path("nfp-best.yaml"))
    run = fit("nfp-best.yaml", QUIET, test=False)
    best = run.weights_checkpoint.name
    assert best.startswith("best")  # else this test could not tell the two apart
    moved = Path("moved")
    run.dir.rename(moved)  # the folder moved since: the checkpoint of that name in it is meant
    read = open_run(moved)
    assert read.checkpoint == moved / "checkpoints" / best
    assert read.recipe == "nfp-best.yaml" and read.overrides == QUIET
    assert read.wandb_run_id == run.wandb_run_id and read.counters["epoch"] >= 0
    assert open_run(moved / "checkpoints" / "last.ckpt").checkpoint.name == "last.ckpt"  # a named one is kept
