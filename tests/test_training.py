"""Recipes and the training CLI: every recipe parses and instantiates; bad recipes fail clearly; runs resume."""

import os
from pathlib import Path

import pytest
import torch
import yaml

from zoo.training import (TrainingError, check_recipe, fit, instantiate, resolve_run_dir, run_lock,
                           run_name_of, wandb_mode)

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "recipes").rglob("*.yaml"))


@pytest.mark.parametrize("recipe", RECIPES, ids=[str(r.relative_to(REPO / "recipes")) for r in RECIPES])
def test_every_recipe_parses_and_instantiates(recipe, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli = instantiate(recipe, [f"--trainer.default_root_dir={tmp_path}"])
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


def test_unknown_recipe_option_is_rejected_in_one_line(tmp_path):
    with pytest.raises(TrainingError, match="option --model: .*Option 'learning_rate' is not accepted") as err:
        instantiate(REPO / "recipes/gcn/cora.yaml",
                    ["--model.init_args.learning_rate=1", f"--trainer.default_root_dir={tmp_path}"])
    assert "\n" not in str(err.value) and "Subtypes" not in str(err.value) and len(str(err.value)) < 500


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
    fit(recipe, ["--trainer.max_epochs=3", *common])
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert torch.load(last, weights_only=True)["global_step"] == 3
    first_id = (tmp_path / "run" / "wandb_run_id").read_text()
    caplog.clear()
    fit(recipe, ["--trainer.max_epochs=5", *common])
    assert f"Restored all states from the checkpoint at {last}" in caplog.text
    assert torch.load(last, weights_only=True)["global_step"] == 5  # 3 restored + 2 more
    assert (tmp_path / "run" / "wandb_run_id").read_text() == first_id  # same W&B run
    saved = yaml.safe_load((tmp_path / "run" / "config.yaml").read_text())
    assert saved["model"]["init_args"]["architecture"] == "gcn"


# ---- run folders, --fresh, locks, W&B ids, the header (the one training path) ----

GCN = REPO / "recipes/gcn/cora.yaml"
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


@pytest.fixture
def in_tmp(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_same_command_resumes_and_a_changed_option_starts_a_new_run(in_tmp, capsys):
    first = fit(GCN, ["--trainer.max_epochs=2", *QUIET])
    assert first.dir.parent == Path("runs/gcn/cora") and first.resumed_from is None
    assert first.weights_checkpoint == first.last_checkpoint  # no monitored checkpoint: the last one
    again = fit(GCN, ["--trainer.max_epochs=2", *QUIET])
    assert again.dir == first.dir and again.resumed_from == first.last_checkpoint
    assert again.wandb_run_id == first.wandb_run_id
    text = capsys.readouterr().out
    assert "zoo train: resuming from" in text
    assert "init weights: the checkpoint it resumes (the run started from random" in text
    other = fit(GCN, ["--trainer.max_epochs=2", "--model.init_args.lr=0.02", *QUIET])
    assert other.dir != first.dir and other.resumed_from is None
    assert torch.load(other.last_checkpoint, weights_only=True)["global_step"] == 2  # not 2 + 2


def test_fresh_moves_the_old_run_aside_and_starts_again(in_tmp, capsys):
    first = fit(GCN, ["--trainer.max_epochs=1", *QUIET], run_name="trial")
    assert first.dir == Path("runs/gcn/cora/trial")
    again = fit(GCN, ["--trainer.max_epochs=1", *QUIET], run_name="trial", fresh=True)
    assert again.resumed_from is None and again.dir == first.dir
    moved = [p for p in first.dir.parent.iterdir() if p.name.startswith("trial.old-")]
    assert len(moved) == 1 and (moved[0] / "checkpoints" / "last.ckpt").is_file()  # nothing deleted
    assert f"earlier run moved to {moved[0]}" in capsys.readouterr().out


def test_a_run_folder_in_use_is_refused(in_tmp):
    run_dir = resolve_run_dir(GCN, ["--trainer.max_epochs=1", *QUIET], "busy", {})
    with run_lock(run_dir):
        with pytest.raises(TrainingError, match="is in use by pid"):
            fit(GCN, ["--trainer.max_epochs=1", *QUIET], run_name="busy")
    fit(GCN, ["--trainer.max_epochs=1", *QUIET], run_name="busy")  # released: runs


def test_an_empty_wandb_id_file_does_not_block_a_rerun(in_tmp):
    first = fit(GCN, ["--trainer.max_epochs=1", *QUIET], run_name="ids")
    (first.dir / "wandb_run_id").write_text("")
    with pytest.warns(UserWarning, match="not a W&B run id"):
        again = fit(GCN, ["--trainer.max_epochs=2", *QUIET], run_name="ids")
    assert again.wandb_run_id and again.wandb_run_id != first.wandb_run_id
    assert (first.dir / "wandb_run_id").read_text().strip() == again.wandb_run_id


def test_bad_run_names_and_devices_are_refused():
    with pytest.raises(TrainingError, match="run name"):
        resolve_run_dir(GCN, [], "../escape", {})
    with pytest.raises(TrainingError, match="device"):
        fit(GCN, [], device="tpu9")


def test_the_header_says_what_the_run_is_and_no_noise_is_printed(in_tmp, capfd):
    from zoo.cli import main

    assert main(["train", str(GCN), "--trainer.max_epochs=1", *QUIET]) == 0
    out = capfd.readouterr()
    text = out.out + out.err
    assert "zoo train: new run" in text and "init weights: random" in text and "W&B: offline" in text
    for noise in ("args parameter", "HINT", "anonymous", "LeafSpec", "litlogger", "TPU available"):
        assert noise not in text, noise


def test_train_help_lists_the_run_options(capsys):
    from zoo.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for option in ("--fresh", "--run-name", "--device", "--precision", "--max-minutes", "--cpu-minutes"):
        assert option in text


def test_unknown_train_option_is_a_usage_error(capsys):
    from zoo.cli import main

    with pytest.raises(SystemExit):
        main(["train", str(GCN), "--frehs"])
    assert "unrecognized arguments: --frehs" in capsys.readouterr().err


def test_export_at_the_end_of_a_run_records_the_run_on_the_card(in_tmp, isolated_zoo):
    from zoo.registry import get_pretrained_cfg

    meta = {"id": "gcn-tiny", "method": "GCN", "dataset": "Cora", "task": "node-classification", "paper": "Kipf & Welling 2017",
            "split": "public",
            "metrics": [{"name": "test_accuracy", "value": 0.0, "unit": "%"}]}
    run = fit(GCN, ["--trainer.max_epochs=1", *QUIET], export_meta=meta, run_name="shipme")
    cfg = get_pretrained_cfg("gcn-tiny")
    assert run.exported.id == "gcn-tiny" and cfg.sha256
    assert cfg.training["wandb_run_id"] == run.wandb_run_id
    assert cfg.training["wandb_project"] == "zoo" and cfg.training["wandb_synced"] is False  # WANDB_MODE=offline
    assert cfg.reproduce.recipe.endswith("recipes/gcn/cora.yaml")
    assert "--trainer.max_epochs=1" in cfg.reproduce.overrides
    assert (isolated_zoo / "checkpoints" / "gcn-tiny" / "model.safetensors").is_file()
    shipped = isolated_zoo / "checkpoints" / "gcn-tiny"
    assert "train/loss" in (shipped / "metrics.csv").read_text()  # the run's CSV log, copied at export
    assert (shipped / "curves.png").is_file() and "![Training curves of gcn-tiny]" in (shipped / "README.md").read_text()


def test_cpu_minutes_replaces_the_recipes_own_cpu_time_limit(in_tmp):
    """--cpu-minutes on a recipe that already limits CPU time: one limit, the command line's (Lightning refuses
    two callbacks with one state key)."""
    from zoo.callbacks import CPUTimeLimit

    recipe = in_tmp / "gcn-limited.yaml"
    config = yaml.safe_load(GCN.read_text())
    config["trainer"]["callbacks"] = [{"class_path": "zoo.callbacks.CPUTimeLimit", "init_args": {"minutes": 3}}]
    recipe.write_text(yaml.safe_dump(config))
    run = fit(recipe, ["--trainer.max_epochs=1", "--trainer.logger=false", *QUIET], cpu_minutes=0.5)
    assert [c.minutes for c in run.trainer.callbacks if isinstance(c, CPUTimeLimit)] == [0.5]


def test_a_run_with_a_monitored_checkpoint_exports_its_best_epoch_not_its_last(in_tmp, isolated_zoo):
    from safetensors.torch import load_file

    from best_checkpoint_recipe import write_best_and_last_recipe

    path = write_best_and_last_recipe(in_tmp / "nfp-best.yaml")
    meta = {"id": "nfp-tiny", "method": "NFP", "dataset": "ESOL", "task": "graph-regression", "paper": "Duvenaud 2015",
            "split": "random", "metrics": [{"name": "test_rmse", "value": 0.0}]}
    run = fit(path, QUIET, export_meta=meta)  # 60 molecules: the validation loss is lowest early, then rises
    best = run.trainer.checkpoint_callback.best_model_path
    assert run.weights_checkpoint == Path(best) and run.weights_checkpoint.name.startswith("best")
    best_ckpt = torch.load(best, map_location="cpu", weights_only=True)
    last_epoch = torch.load(run.last_checkpoint, map_location="cpu", weights_only=True)["epoch"]
    assert best_ckpt["epoch"] < last_epoch  # else this test could not tell the two apart
    best_state = best_ckpt["state_dict"]
    shipped = load_file(isolated_zoo / "checkpoints" / "nfp-tiny" / "model.safetensors")
    assert all(torch.equal(shipped[k], best_state[f"net.{k}"]) for k in shipped)


# ---- runs keep their progress: moved folders, --fresh under a lock, damaged and failed checkpoints (issue 19) ----

def test_a_copied_run_folder_resumes_from_what_it_wrote_not_its_stale_last_checkpoint(in_tmp):
    import shutil

    first = fit(GCN, ["--trainer.max_epochs=2", *QUIET], run_name="a")
    copy = shutil.copytree(first.dir, first.dir.with_name("b"), symlinks=True)  # as `cp -a` does
    moved = fit(GCN, ["--trainer.max_epochs=3", *QUIET], run_name="b")
    names = sorted(p.name for p in (copy / "checkpoints").iterdir())
    assert not [n for n in names if n.startswith("last-v")], names  # last.ckpt overwritten, never versioned
    assert torch.load(moved.last_checkpoint, weights_only=True)["global_step"] == 3
    again = fit(GCN, ["--trainer.max_epochs=4", *QUIET], run_name="b")
    assert again.resumed_from == copy / "checkpoints" / "last.ckpt" and "step 3)" in again.header[0]


def test_fresh_refuses_a_folder_that_a_live_run_holds_and_moves_nothing(in_tmp):
    run_dir = resolve_run_dir(GCN, [], "live", {})
    (run_dir / "checkpoints").mkdir(parents=True)
    with run_lock(run_dir):  # another process training in this folder
        with pytest.raises(TrainingError, match="is in use by pid"):
            fit(GCN, ["--trainer.max_epochs=1", *QUIET], run_name="live", fresh=True)
    assert [p.name for p in run_dir.parent.iterdir()] == ["live"] and (run_dir / "checkpoints").is_dir()


def test_a_damaged_last_checkpoint_names_the_intact_ones_and_the_command_that_resumes(in_tmp, capsys):
    from zoo.cli import main

    run = fit(GCN, ["--trainer.max_epochs=2", *QUIET], run_name="cut")
    last = run.dir / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:1000])  # truncated, as by a full disk or a copy cut short
    capsys.readouterr()  # the first run's lines (one per epoch in a log)
    assert main(["train", str(GCN), "--trainer.max_epochs=3", *QUIET, "--run-name", "cut"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{last} is damaged" in err
    assert "intact checkpoints beside it: epoch=1-step=2.ckpt (epoch 1, step 2)" in err
    command = err.split("Resume from one with: ")[1].split()
    assert command[:2] == ["zoo", "train"]
    assert main(command[1:]) == 0  # the suggested command resumes the same folder from the intact checkpoint
    assert "resuming from" in capsys.readouterr().out
    assert torch.load(last, weights_only=True)["global_step"] == 3


def test_a_failed_save_leaves_no_partial_checkpoint(in_tmp, monkeypatch):
    import errno

    from lightning.pytorch.plugins.io import TorchCheckpointIO

    run = fit(GCN, ["--trainer.max_epochs=1", *QUIET], run_name="full")
    folder = run.dir / "checkpoints"
    before = {p.name: p.read_bytes() for p in folder.iterdir()}

    def disk_full(self, checkpoint, path, storage_options=None):
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(TorchCheckpointIO, "save_checkpoint", disk_full)
    with pytest.raises(OSError, match="No space left"):
        fit(GCN, ["--trainer.max_epochs=2", *QUIET], run_name="full")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no partial or temporary file


def test_a_log_gets_one_line_per_epoch_and_no_progress_bar(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "WANDB_MODE": "disabled", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "zoo.cli", "train", str(REPO / "recipes/gan/debug.yaml"), "--trainer.max_epochs=2",
         "--trainer.enable_progress_bar=true", f"--trainer.default_root_dir={tmp_path / 'run'}",
         "--data.init_args.root=" + os.environ.get("ZOO_DATA_ROOT", "")],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    if "MNIST" in result.stderr and result.returncode == 2:
        pytest.skip("MNIST is not under the data root")
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert [line.split(" (")[0] for line in lines if line.startswith("epoch ")] == ["epoch 1/2", "epoch 2/2"]
    assert not any("it/s" in line for line in lines)


# ---- the end of a run: test metrics, complete or stopped by a limit, more budget continues (issue 20) ----

def test_a_run_ends_with_its_test_metrics_and_says_it_is_complete(in_tmp, capsys):
    from zoo.cli import main

    assert main(["train", str(GCN), "--trainer.max_epochs=2", *QUIET, "--run-name", "end"]) == 0
    out = capsys.readouterr().out
    assert "zoo train: complete, after 2 of 2 epochs, step 2" in out and "--trainer.max_epochs=N above 2" in out
    assert "zoo train: test metrics of runs/gcn/cora/end/checkpoints/last.ckpt" in out
    accuracy = float(out.split("test/accuracy")[1].split()[0])
    assert 0 <= accuracy <= 100
    assert main(["train", str(GCN), "--trainer.max_epochs=2", *QUIET, "--run-name", "end"]) == 0
    again = capsys.readouterr().out
    assert "this run was already complete (after 2 of 2 epochs, step 2): nothing more was trained" in again
    assert f"{accuracy:.4f}" in again.split("test/accuracy")[1]  # the same weights, tested again


def test_more_budget_continues_the_same_run(in_tmp):
    first = fit(GCN, ["--trainer.max_epochs=2", *QUIET], max_minutes=5, cpu_minutes=5)
    more = fit(GCN, ["--trainer.max_epochs=3", *QUIET], max_minutes=10)
    assert more.dir == first.dir and more.resumed_from == first.last_checkpoint
    assert torch.load(more.last_checkpoint, weights_only=True)["global_step"] == 3  # 2 restored + 1 more
    assert resolve_run_dir(GCN, ["--trainer.max_steps=9", "--trainer.max_time=00:00:01:00"], None,
                           {"max_minutes": 1}) == resolve_run_dir(GCN, [], None, {})
    assert resolve_run_dir(GCN, [], None, {"device": "cpu"}) != resolve_run_dir(GCN, [], None, {})


def test_a_run_folder_hashed_with_its_budget_before_is_still_resumed(in_tmp):
    import hashlib
    import json

    overrides = ["--trainer.max_epochs=1", *QUIET]
    payload = json.dumps({"recipe": yaml.safe_load(GCN.read_text()), "overrides": overrides,
                          "settings": {"max_minutes": 5}}, sort_keys=True, default=str)
    earlier = Path("runs/gcn/cora") / hashlib.sha256(payload.encode()).hexdigest()[:12]  # the old formula
    earlier.mkdir(parents=True)
    assert resolve_run_dir(GCN, overrides, None, {"max_minutes": 5}) == earlier
    assert resolve_run_dir(GCN, overrides, None, {"max_minutes": 9}) != earlier  # a new budget: the new folder


def test_a_cpu_limit_stop_says_where_and_how_to_continue(in_tmp):
    run = fit(GCN, ["--trainer.max_epochs=50", *QUIET], cpu_minutes=1e-9, test=False)
    text = "\n".join(run.stop)
    assert "stopped by its CPU limit (--cpu-minutes: 6e-08 s) after 1 of 50 epochs, step 1" in text
    assert "rerun the same command with a larger --cpu-minutes" in text and run.test_metrics is None


def test_a_wall_clock_stop_is_named(in_tmp):
    run = fit(GCN, ["--trainer.max_epochs=50", *QUIET], max_minutes=1 / 60, callbacks=[_Sleep(1.1)], test=False)
    assert "stopped by its wall-clock limit (--max-minutes: 1 s) after " in run.stop[0]


class _Sleep(__import__("lightning").pytorch.Callback):
    """Makes every training batch take ``seconds``, so a one-second wall-clock limit stops a run early."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def on_train_batch_end(self, *args):
        import time

        time.sleep(self.seconds)


def test_a_refused_fine_tuning_source_is_one_line_and_leaves_no_folder(in_tmp, capsys):
    from zoo.cli import main

    recipe = REPO / "recipes/gcn/finetune-citeseer.yaml"
    assert main(["train", str(recipe), "--model.init_args.init_from=gcn-cora", *QUIET]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot initialise from 'gcn-cora'" in err and "Subtypes" not in err
    assert not Path("runs").exists()  # no folder, no stale lock
    assert main(["train", str(GCN), "--trainer.max_epochs=abc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "option --trainer.max_epochs: Expected a <class 'int'> (given: abc)" in err
    assert not Path("runs").exists()


def test_the_run_records_its_recipe_and_options(in_tmp):
    import json

    run = fit(GCN, ["--trainer.max_epochs=1", *QUIET], cpu_minutes=3, test=False)
    record = json.loads((run.dir / "zoo_run.json").read_text())
    assert record["recipe"].endswith("recipes/gcn/cora.yaml") and record["cpu_minutes"] == 3
    assert record["overrides"] == ["--trainer.max_epochs=1", *QUIET]


def test_missing_data_fails_before_any_new_run_line_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZOO_DATA_DOWNLOAD", "0")  # no network here: the loader's first-use download is off
    run_dir = tmp_path / "runs" / "cora"
    with pytest.raises(Exception, match="Planetoid Cora not found"):
        fit(GCN, [f"--data.init_args.root={tmp_path / 'empty'}", f"--trainer.default_root_dir={run_dir}", *QUIET])
    assert "new run" not in capsys.readouterr().out
    assert not run_dir.exists()
