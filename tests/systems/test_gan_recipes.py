"""The debug recipes end to end: train two steps with ``zoo train``, export, load, sample, `zoo sample`."""

from pathlib import Path

import pytest
import torch
from PIL import Image

import zoo
from zoo.cli import main as zoo_main
from zoo.export import export_checkpoint
from zoo.training import fit

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.data
def test_debug_recipe_trains_exports_and_samples(data_root, tmp_path, monkeypatch, isolated_zoo):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    fit(REPO / "recipes/gan/debug.yaml", [f"--trainer.default_root_dir={run}"])
    ckpt = run / "checkpoints" / "last.ckpt"
    state = torch.load(ckpt, weights_only=True)
    assert state["global_step"] == 4 and state["gan_steps"] == {"generator": 2, "critic": 2}
    assert (run / "samples" / "latest.png").is_file()  # the grid also went to W&B (offline run folder)
    assert list((run / "wandb").rglob("media/images/samples_*.png"))

    meta = {"id": "nsgan-debug", "method": "GAN (non-saturating)", "paper": "Goodfellow et al. 2014",
            "task": "image-generation", "dataset": "MNIST (256 images)", "split": "train",
            "reproduce": {"recipe": "recipes/gan/debug.yaml"}, "evaluator": "gan-fid"}
    export_checkpoint(ckpt, meta)
    model = zoo.load("nsgan-debug")
    assert model.sample(4, seed=0).shape == (4, 1, 28, 28)
    assert not any(k.startswith(("critic", "discriminator")) for k in model.state_dict())  # D is not shipped
    out = tmp_path / "grid.png"
    assert zoo_main(["sample", "nsgan-debug", "--n", "9", "--seed", "0", "--out", str(out)]) in (0, None)
    with Image.open(out) as img:
        assert img.size[1] == 2 * 30 + 2 or img.size[1] == 3 * 30 + 2  # 9 cells of 28 px + 2 px padding


@pytest.mark.data
def test_wgan_gp_debug_recipe_on_celeba_faces(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.chdir(tmp_path)
    fit(REPO / "recipes/wgan-gp/debug.yaml", [f"--trainer.default_root_dir={tmp_path}", "--trainer.logger=false"])
    assert torch.load(tmp_path / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 4
