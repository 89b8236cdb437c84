"""Every registered checkpoint, without a test of its own: it loads by id, its weights match the registry's
sha256, its folder and card agree with the registry, and it runs (samples, or predicts on its example input)."""

import json

import pytest
import torch

import zoo
from zoo.cards import render_card
from zoo.hub import CARD_NAME, CONFIG_NAME, WEIGHTS_NAME, checkpoints_dir
from zoo.io import sha256_file
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


EXAMPLE_SMILES = ["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"]  # ethanol, phenol, paracetamol


def run_on_example(model, cfg):
    """What the model gives on its example input: samples (twice, same seed) for generators, predictions on
    three small molecules for the SMILES regressors, class logits of a small random graph for node classifiers."""
    with torch.no_grad():
        if hasattr(model, "sample"):
            first, again = model.sample(2, seed=0), model.sample(2, seed=0)
            if isinstance(first, torch.Tensor):
                torch.testing.assert_close(first, again)  # same seed, same samples
            else:
                assert first == again
            return first
        if hasattr(model, "predict_smiles"):
            out = model.predict_smiles(EXAMPLE_SMILES)
            assert out.shape == (len(EXAMPLE_SMILES), len(cfg.extra.get("target_names", [0])))
            return out
        args = cfg.model_args
        generator = torch.Generator().manual_seed(0)
        x = torch.rand(12, args["in_channels"], generator=generator)
        edge_index = torch.randint(0, 12, (2, 40), generator=generator)
        out = model(x, edge_index)
        assert out.shape == (12, args["out_channels"])
        return out


@pytest.mark.parametrize("model_id", IDS)
def test_loads_by_id_in_eval_mode_and_runs(model_id):
    model = zoo.load(model_id)
    assert isinstance(model, torch.nn.Module) and not model.training
    assert not any(torch.isnan(p).any() for p in model.parameters())
    out = run_on_example(model, get_pretrained_cfg(model_id))
    if isinstance(out, torch.Tensor):
        assert torch.isfinite(out).all()
    else:
        assert len(out) == 2 and all(isinstance(s, str) for s in out)


def test_every_id_is_run_by_one_branch_of_the_example():
    """Only three kinds of model ship; a new kind must add its example input above."""
    kinds = {("sample" if hasattr(m, "sample") else "smiles" if hasattr(m, "predict_smiles") else "graph")
             for m in map(zoo.load, IDS)}
    assert kinds == {"sample", "smiles", "graph"}
