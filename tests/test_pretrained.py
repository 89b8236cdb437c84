"""Every registered checkpoint, without a test of its own: it loads by id, its weights match the registry's
sha256, its folder and card agree with the registry, and it runs (samples, or predicts on its example input)."""

import json

import pytest
import torch

import zoo
from zoo.cards import render_card
from zoo.hub import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, checkpoints_dir, sha256_file
from zoo.registry import get_pretrained_cfg, list_models

IDS = list_models()


@pytest.mark.parametrize("model_id", IDS)
def test_folder_matches_registry(model_id):
    cfg = get_pretrained_cfg(model_id)
    folder = checkpoints_dir() / model_id
    assert sha256_file(folder / WEIGHTS_NAME) == cfg.sha256
    config = json.loads((folder / CONFIG_NAME).read_text())
    assert config["architecture"] == cfg.architecture and config["model_args"] == cfg.model_args
    assert (folder / CARD_NAME).read_text() == render_card(cfg), "run `zoo cards`"
    assert (folder / WEIGHTS_NAME).stat().st_size < 20 * 2**20, "ship inference weights only"


@pytest.mark.parametrize("model_id", IDS)
def test_loads_by_id_in_eval_mode_and_runs(model_id):
    model = zoo.load(model_id)
    assert isinstance(model, torch.nn.Module) and not model.training
    assert not any(torch.isnan(p).any() for p in model.parameters())
    if hasattr(model, "sample"):
        with torch.no_grad():
            first, again = model.sample(2, seed=0), model.sample(2, seed=0)
        if isinstance(first, torch.Tensor):
            torch.testing.assert_close(first, again)  # same seed, same samples
        else:
            assert first == again
