"""The `zoo` command as a user runs it."""

import json
import subprocess
import sys

import pytest

from zoo.cli import main
from zoo.registry import get_pretrained_cfg


def test_list_and_info(capsys):
    assert main(["list", "gcn-*"]) == 0
    out = capsys.readouterr().out
    assert "gcn-cora" in out and "test_accuracy" in out
    assert main(["info", "gcn-cora"]) == 0
    assert json.loads(capsys.readouterr().out)["architecture"] == "gcn"


def test_list_fits_100_columns_without_cutting_words(capsys):
    from zoo.registry import list_models

    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(map(len, lines)) <= 100
    id_col = lines[0].index("id")  # after the status mark column when an entry has a status
    lines = [line for line in lines if not line[id_col:].split()[0].endswith(":")]  # the table, not the legend
    starts = [line[id_col:].split()[0] for line in lines[1:] if line[id_col:id_col + 1].strip()]
    assert starts == list_models()  # one row per id, in order
    words = " ".join(lines).split()
    for word in get_pretrained_cfg("mpnn-qm9-mu").method.split():  # wrapped, never cut
        assert word in words
    method_col = lines[0].index("method")
    assert all(line[method_col - 2:method_col] == "  " for line in lines)  # aligned columns


def test_list_marks_an_entry_with_a_status(capsys, monkeypatch):
    import dataclasses

    import zoo.registry

    real = zoo.registry.get_pretrained_cfg

    def with_status(model_id):
        cfg = real(model_id)
        if model_id == "gcn-cora":
            cfg = dataclasses.replace(cfg, status="failed: a test")  # a copy: entries are parsed once per process
        return cfg

    monkeypatch.setattr(zoo.registry, "get_pretrained_cfg", with_status)
    assert main(["list", "gcn-*"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line[:2] for line in lines[:3]] == ["  ", "  ", "! "]  # header, gcn-citeseer, gcn-cora
    assert lines[-1].startswith("! gcn-cora: failed: a test")


def test_sample_help_says_n_counts_frames_when_interpolating(capsys):
    with pytest.raises(SystemExit):
        main(["sample", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "with --interpolate-to, the number of frames" in text


def test_unknown_id_is_one_line_with_suggestions(capsys):
    assert main(["info", "gcn-coar"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Did you mean 'gcn-cora'" in err


def test_eval_reproduces_the_card_number(data_root, capsys):
    assert main(["eval", "gcn-cora", "--data-root", str(data_root), "--json"]) == 0
    results = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    card = get_pretrained_cfg("gcn-cora").metric("test_accuracy").value
    assert results["test_accuracy"] == pytest.approx(card, abs=1e-6)  # deterministic: the same number


def test_eval_without_data_says_where_to_get_it(tmp_path, capsys, monkeypatch):
    import urllib.request

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    assert main(["eval", "gcn-cora", "--data-root", str(tmp_path)]) == 2
    assert "not found: expected" in capsys.readouterr().err


def test_sample_on_a_non_generative_model_is_a_clear_error(capsys):
    assert main(["sample", "gcn-cora"]) == 2
    assert "not a generative model" in capsys.readouterr().err


def test_cards_check_passes_on_the_repository(capsys):
    assert main(["cards", "--check"]) == 0


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "zoo.cli", "list"], capture_output=True, text=True, check=True)
    assert "gcn-cora" in out.stdout


def test_sample_writes_a_face_grid_and_an_interpolation(tmp_path, capsys):
    from PIL import Image

    assert main(["sample", "wgan-gp-celeba", "--n", "4", "--nrow", "2", "--out", str(tmp_path / "g.png")]) == 0
    assert "4 samples of shape (3, 64, 64)" in capsys.readouterr().out
    assert Image.open(tmp_path / "g.png").size[0] >= 128
    assert main(["sample", "wgan-gp-celeba", "--n", "5", "--seed", "0", "--interpolate-to", "1",
                 "--out", str(tmp_path / "i.png")]) == 0
    assert "5 samples" in capsys.readouterr().out


def test_a_closed_pipe_is_not_an_error():
    """`zoo list | head -1`: the reader leaves early; zoo exits quietly instead of printing an error."""
    import subprocess
    import sys

    out = subprocess.run(f"{sys.executable} -m zoo.cli list | head -1", shell=True, capture_output=True, text=True)
    assert out.stdout.lstrip().startswith("id") and "error" not in out.stderr


def test_eval_scores_a_run_folder_or_checkpoint_with_its_recipes_protocol(data_root, tmp_path, monkeypatch, capsys):
    """`zoo eval RUN`: the run's weights scored by the id its recipe trains (gcn-cora for recipes/gcn/cora.yaml),
    the same number from the folder and from its checkpoint (issue 20)."""
    from pathlib import Path

    from zoo.training import fit

    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    repo = Path(__file__).resolve().parents[1]
    run = fit(repo / "recipes/gcn/cora.yaml", ["--trainer.max_epochs=1", "--trainer.enable_progress_bar=false"])
    capsys.readouterr()
    assert main(["eval", str(run.dir), "--json"]) == 0
    out = capsys.readouterr().out
    assert "scored with gcn-cora's protocol on Cora" in out
    from_folder = json.loads(out.splitlines()[-1])
    assert from_folder["test_accuracy"] == pytest.approx(run.test_metrics["test/accuracy"], abs=1e-4)
    assert main(["eval", str(run.dir / "checkpoints" / "last.ckpt"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == from_folder
    assert main(["eval", "gcn-cora", "--protocol", "gcn-citeseer"]) == 2
    assert "--protocol chooses how a run is scored" in capsys.readouterr().err
    assert main(["eval", "runs/gcn/nothing"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "runs/gcn/nothing does not exist" in err
