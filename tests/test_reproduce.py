"""``zoo reproduce``: a card's recipe through ``zoo train``, scored by its evaluator, the repository untouched."""

import hashlib
import shlex
from pathlib import Path

import pytest

from zoo.cli import build_parser
from zoo.registry import Reproduce, get_pretrained_cfg, list_models

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("model_id", list_models())
def test_every_entry_names_a_recipe_that_exists_and_a_command_zoo_train_parses(model_id):
    run = get_pretrained_cfg(model_id).reproduce
    assert (REPO / run.recipe).is_file(), f"{model_id}: {run.recipe} does not exist"
    words = shlex.split(run.command)
    assert words[:3] == ["zoo", "train", run.recipe]
    args, rest = build_parser().parse_known_args(words[1:])
    assert args.recipe == run.recipe and rest == list(run.overrides)
    assert (args.device == "gpu") == (run.hardware == "gpu") and args.max_minutes == run.max_minutes


def test_reproduce_field_is_typed():
    with pytest.raises(ValueError, match="recipe YAML"):
        Reproduce("python bench/gan/pack_gpu_data.py && bash bench/gpu/gan.sh")
    with pytest.raises(ValueError, match="hardware"):
        Reproduce("recipes/gcn/cora.yaml", hardware="tpu")
    with pytest.raises(ValueError, match="list of option strings"):
        Reproduce("recipes/gcn/cora.yaml", overrides="--seed_everything=4")
    assert Reproduce("recipes/x.yaml", ("--a=1",), "gpu", "bf16-mixed", 5.0).command == (
        "zoo train recipes/x.yaml --device gpu --precision bf16-mixed --max-minutes 5 --a=1")


def test_a_gpu_run_on_a_cpu_says_so_with_its_time_instead_of_starting(monkeypatch, tmp_path, capsys):
    from zoo.cli import main

    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setattr("zoo.reproduce.REPRODUCE_RUNS", tmp_path / "runs")
    monkeypatch.chdir(REPO)
    assert main(["reproduce", "mpnn-qm9-mu"]) == 2
    err = capsys.readouterr().err
    assert "needs a GPU" in err and "5 minutes" in err and "--device cpu" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "runs").exists()


def _digest(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_reproduce_trains_evaluates_and_leaves_the_repository_alone(data_root, tmp_path, monkeypatch, capsys):
    from zoo.cli import main

    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(REPO)  # card recipes are relative to the repository root
    watched = [REPO / "MODEL_CARDS.md", REPO / "zoo/pretrained/gcn-cora.json",
               *sorted((REPO / "checkpoints/gcn-cora").iterdir())]
    before = _digest(watched)
    monkeypatch.setattr("zoo.reproduce.REPRODUCE_RUNS", tmp_path / "runs")
    assert main(["reproduce", "gcn-cora", "--trainer.max_epochs=3", "--trainer.enable_progress_bar=false",
                 "--trainer.enable_model_summary=false"]) == 0
    out = capsys.readouterr().out
    assert "test_accuracy" in out and "the repository was not changed" in out
    now = next(line for line in out.splitlines() if line.startswith("test_accuracy "))
    assert len(now.split()) == 5  # name (unit), now, card, paper
    assert _digest(watched) == before
