"""The AAE debug recipes end to end: `zoo train`, export, `zoo.load`, sample, `zoo sample` output."""

from pathlib import Path

import pytest
import torch

import zoo
from zoo.cli import main as zoo_main
from zoo.export import export_checkpoint
from zoo.training import fit

REPO = Path(__file__).resolve().parents[2]
META = {"method": "AAE", "paper": "Makhzani et al. 2016", "task": "generation", "dataset": "debug",
        "split": "debug", "reproduce": {"recipe": "recipes/aae/debug.yaml"}}


@pytest.mark.data
def test_binary_debug_recipe_trains_exports_and_draws_a_grid(data_root, tmp_path, monkeypatch, isolated_zoo):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    fit(REPO / "recipes/aae/debug.yaml", [f"--trainer.default_root_dir={run}"])
    state = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert state["global_step"] == 9  # 3 batches x (reconstruction, discriminator, regularisation)
    export_checkpoint(run / "checkpoints" / "last.ckpt", {**META, "id": "aae-debug"})
    model = zoo.load("aae-debug")
    assert model.sample(4, seed=0).shape == (4, 1, 28, 28)
    zoo_main(["sample", "aae-debug", "--n", "4", "--out", str(tmp_path / "grid.png")])
    assert (tmp_path / "grid.png").is_file()


@pytest.mark.data
def test_smiles_debug_recipe_samples_marked_smiles(data_root, tmp_path, monkeypatch, isolated_zoo, capsys):
    pytest.importorskip("rdkit")
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.chdir(tmp_path)
    run = tmp_path / "run"
    fit(REPO / "recipes/aae/debug-smiles.yaml", [f"--trainer.default_root_dir={run}"])
    export_checkpoint(run / "checkpoints" / "last.ckpt", {**META, "id": "aae-smiles-debug"})
    model = zoo.load("aae-smiles-debug")
    assert model.vocab[3:] == list("#()-123456=BCFHNOS[]clnors")  # survived YAML, hparams and JSON
    capsys.readouterr()
    zoo_main(["sample", "aae-smiles-debug", "--n", "5", "--seed", "0"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 6 and all(line.endswith(("\tvalid", "\tinvalid")) for line in lines[:5])
    assert lines[-1].endswith("valid") and lines[-1].startswith("# ")
