"""``zoo reproduce``: a card's recipe through ``zoo train``, scored by its evaluator, the repository untouched."""

import hashlib
from pathlib import Path

import pytest

from zoo.reproduce import card_command
from zoo.training import TrainingError

REPO = Path(__file__).resolve().parents[1]


def test_card_command_takes_the_zoo_train_part():
    assert card_command("zoo train recipes/gcn/cora.yaml --seed_everything=4") == (
        "recipes/gcn/cora.yaml", ["--seed_everything=4"])
    assert card_command("OMP_NUM_THREADS=1 zoo train recipes/aae/mnist.yaml  # then export") == (
        "recipes/aae/mnist.yaml", [])
    assert card_command("zoo train recipes/x.yaml --a=1 && zoo export y")[1] == ["--a=1"]
    with pytest.raises(TrainingError, match="not made by a `zoo train` command"):
        card_command("python bench/gan/pack_gpu_data.py && bash bench/gpu/gan.sh")


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
