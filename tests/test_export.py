"""A recipe's Lightning checkpoint becomes a shipped folder + registry entry + card in one call."""

import json
from pathlib import Path

import lightning.pytorch as pl
import pytest
import torch

import zoo
from zoo.export import OWNED_FILES, ExportError, export_checkpoint, read_lightning_checkpoint
from zoo.hub import checkpoints_dir
from zoo.registry import create_model, get_pretrained_cfg
from zoo.systems.node_classification import NodeClassificationSystem

ARGS = {"in_channels": 6, "out_channels": 3, "hidden_channels": 4}
META = {
    "id": "gcn-tiny", "method": "GCN", "paper": "Kipf & Welling 2017", "task": "node-classification",
    "dataset": "Tiny", "split": "all", "reproduce": {"recipe": "recipes/gcn/cora.yaml"}, "evaluator": "planetoid-accuracy",
    "metrics": [{"name": "test_accuracy", "value": 50.0, "unit": "%", "command": "python -c pass"}],
}


def save_lightning_checkpoint(system: pl.LightningModule, path):
    """What a recipe's run leaves: ``system`` saved by a Trainer as a Lightning ``.ckpt``."""
    trainer = pl.Trainer(max_epochs=1, logger=False, enable_progress_bar=False, enable_model_summary=False,
                         default_root_dir=path.parent)
    trainer.strategy.connect(system)
    trainer.save_checkpoint(path)
    return path


@pytest.fixture
def lightning_ckpt(tmp_path):
    system = NodeClassificationSystem("gcn", ARGS)
    return save_lightning_checkpoint(system, tmp_path / "last.ckpt"), system


def test_export_then_load_by_id_gives_the_same_outputs(isolated_zoo, lightning_ckpt):
    path, system = lightning_ckpt
    cfg = export_checkpoint(path, META)
    folder = checkpoints_dir() / "gcn-tiny"
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "model.safetensors"]
    assert get_pretrained_cfg("gcn-tiny").sha256 == cfg.sha256
    assert (isolated_zoo / "MODEL_CARDS.md").read_text().count("gcn-tiny") >= 1
    x, edge_index = torch.randn(5, 6), torch.randint(0, 5, (2, 8))
    torch.testing.assert_close(zoo.load("gcn-tiny")(x, edge_index), system.net.eval()(x, edge_index))
    assert json.loads((folder / "config.json").read_text())["pretrained_cfg"]["id"] == "gcn-tiny"


def test_bad_metadata_leaves_nothing_behind(isolated_zoo, lightning_ckpt):
    path, _ = lightning_ckpt
    with pytest.raises(ValueError, match="missing required keys"):
        export_checkpoint(path, {"id": "gcn-broken"})
    assert list(checkpoints_dir().iterdir()) == []
    assert list((isolated_zoo / "pretrained").iterdir()) == []


def test_checkpoint_not_from_a_zoo_system_is_rejected(tmp_path):
    torch.save({"state_dict": {}, "hyper_parameters": {}}, tmp_path / "other.ckpt")
    with pytest.raises(ExportError, match="not written by a zoo system"):
        read_lightning_checkpoint(tmp_path / "other.ckpt")
    with pytest.raises(ExportError, match="does not exist"):
        read_lightning_checkpoint(tmp_path / "missing.ckpt")
    with pytest.raises(ExportError, match="is a folder; pass the .ckpt file"):
        read_lightning_checkpoint(tmp_path)
    (tmp_path / "garbage.ckpt").write_bytes(b"not a checkpoint")
    with pytest.raises(ExportError, match="not a readable Lightning checkpoint"):
        read_lightning_checkpoint(tmp_path / "garbage.ckpt")


@pytest.mark.parametrize("bad_id", ["", ".", "..", "../x", "a/b", "/tmp/elsewhere", "gcn tiny", ".hidden"])
def test_an_id_that_is_not_a_folder_name_is_refused_and_touches_nothing(isolated_zoo, lightning_ckpt, bad_id):
    path, _ = lightning_ckpt
    export_checkpoint(path, META)  # a shipped model that a bad id must not delete or replace
    before = {p: p.read_bytes() for p in isolated_zoo.rglob("*") if p.is_file()}
    with pytest.raises(ExportError, match="invalid model id"):
        export_checkpoint(path, {**META, "id": bad_id})
    assert {p: p.read_bytes() for p in isolated_zoo.rglob("*") if p.is_file()} == before


def test_weights_with_nan_are_not_exported(isolated_zoo, lightning_ckpt, tmp_path):
    _, system = lightning_ckpt
    with torch.no_grad():
        next(system.net.parameters())[0] = float("nan")
    save_lightning_checkpoint(system, tmp_path / "diverged.ckpt")
    with pytest.raises(ExportError, match="NaN or infinite values"):
        export_checkpoint(tmp_path / "diverged.ckpt", META)
    assert list(checkpoints_dir().iterdir()) == []


def test_a_run_whose_model_args_ask_for_terabytes_is_refused_before_building(isolated_zoo, lightning_ckpt, tmp_path):
    path, _ = lightning_ckpt
    ckpt = torch.load(path, weights_only=True)
    ckpt["hyper_parameters"]["model_args"]["hidden_channels"] = 10**8  # a moved or planted run folder
    torch.save(ckpt, tmp_path / "huge.ckpt")
    with pytest.raises(ExportError, match="model_args describe a 'gcn' model of 1,000,000,003 parameters"):
        export_checkpoint(tmp_path / "huge.ckpt", META)
    assert list(checkpoints_dir().iterdir()) == []


def snapshot(folder):
    """Every file under ``folder`` with its bytes (symbolic links as their targets), to assert nothing changed."""
    return {p: (str(p.readlink()) if p.is_symlink() else p.read_bytes()) for p in sorted(folder.rglob("*"))
            if p.is_symlink() or p.is_file()}


@pytest.fixture
def gan_ckpt(tmp_path):
    """A GAN run's checkpoint: another model family than the GCN of META."""
    from zoo.systems.gan import MinimaxGAN

    system = MinimaxGAN(model_args={"image_size": 28, "channels": 1, "latent_dim": 8, "base_width": 4},
                        discriminator_args={"base_width": 4})
    return save_lightning_checkpoint(system, tmp_path / "gan" / "last.ckpt")


def test_a_gan_run_exported_with_a_gcns_metadata_is_refused_and_touches_nothing(isolated_zoo, lightning_ckpt,
                                                                               gan_ckpt, capsys):
    from zoo.cli import main

    path, _ = lightning_ckpt
    export_checkpoint(path, META)
    shipped = {k: v for k, v in get_pretrained_cfg("gcn-tiny").to_dict().items() if k != "sha256"}
    meta = {k: v for k, v in shipped.items() if k not in ("architecture", "model_args")}
    (isolated_zoo / "meta.json").write_text(json.dumps(meta))
    before = snapshot(isolated_zoo)
    with pytest.raises(ExportError, match="model_args differ from the checkpoint's"):  # the GCN's model_args
        export_checkpoint(gan_ckpt, {k: v for k, v in shipped.items() if k != "architecture"})
    with pytest.raises(ExportError, match="names architecture 'gcn' but the checkpoint holds 'dcgan_generator'"):
        export_checkpoint(gan_ckpt, shipped)
    with pytest.raises(ExportError, match="gcn-tiny is shipped with architecture 'gcn' .*pass --replace"):
        export_checkpoint(gan_ckpt, meta)
    assert main(["export", str(gan_ckpt), "--meta", str(isolated_zoo / "meta.json")]) == 2
    assert "error: gcn-tiny is shipped with architecture" in capsys.readouterr().err
    assert snapshot(isolated_zoo) == before
    assert main(["export", str(gan_ckpt), "--meta", str(isolated_zoo / "meta.json"), "--replace"]) == 0
    assert get_pretrained_cfg("gcn-tiny").architecture == "dcgan_generator"  # asked for: shipped in its place


def test_the_same_architecture_with_other_model_args_needs_replace(isolated_zoo, lightning_ckpt, tmp_path):
    path, _ = lightning_ckpt
    export_checkpoint(path, META)
    wider = save_lightning_checkpoint(NodeClassificationSystem("gcn", {**ARGS, "hidden_channels": 8}),
                                      tmp_path / "wider.ckpt")
    with pytest.raises(ExportError, match="model_args hidden_channels 4 \\(checkpoint: 8\\)"):
        export_checkpoint(wider, META)
    assert export_checkpoint(wider, META, replace=True).model_args["hidden_channels"] == 8


def test_an_export_keeps_every_file_of_the_folder_it_does_not_own(isolated_zoo, lightning_ckpt, tmp_path):
    path, _ = lightning_ckpt
    export_checkpoint(path, META)
    folder = checkpoints_dir() / "gcn-tiny"
    (folder / "NOTES.md").write_text("my notes")
    (folder / "curves.png").write_bytes(b"png")
    (folder / "metrics.csv").write_text("step,epoch,metric,value\n0,0,train/loss,1.0\n")
    (folder / "drafts").mkdir()
    (folder / "drafts" / "a.txt").write_text("draft")
    (folder / "elsewhere").symlink_to(tmp_path)  # kept as a link, never followed
    weights = (folder / "model.safetensors").read_bytes()
    kept = {p: b for p, b in snapshot(folder).items() if p.name not in OWNED_FILES}
    assert len(kept) == 5
    torch.manual_seed(3)
    export_checkpoint(save_lightning_checkpoint(NodeClassificationSystem("gcn", ARGS), tmp_path / "b.ckpt"), META)
    assert (folder / "model.safetensors").read_bytes() != weights  # replaced
    assert {p: b for p, b in snapshot(folder).items() if p in kept} == kept
    assert "](curves.png)" in (folder / "README.md").read_text()  # the kept metrics.csv is still drawn on the card
    assert not list(checkpoints_dir().glob(".*")) and (folder / "elsewhere").is_symlink()


def test_exporting_over_a_symlinked_folder_is_refused_before_any_write(isolated_zoo, lightning_ckpt, tmp_path):
    path, _ = lightning_ckpt
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    (checkpoints_dir() / "gcn-tiny").symlink_to(outside)
    before = snapshot(isolated_zoo) | snapshot(outside)
    with pytest.raises(ExportError, match="is a symbolic link; .*nothing was written"):
        export_checkpoint(path, META)
    assert snapshot(isolated_zoo) | snapshot(outside) == before  # no journal, no staged folder, no entry


def test_an_empty_id_on_the_command_line_is_refused_not_ignored(isolated_zoo, lightning_ckpt, capsys):
    from zoo.cli import main

    path, _ = lightning_ckpt
    (isolated_zoo / "meta.json").write_text(json.dumps(META))
    assert main(["export", str(path), "--meta", str(isolated_zoo / "meta.json"), "--id", ""]) == 2
    assert "error: invalid model id ''" in capsys.readouterr().err
    assert list(checkpoints_dir().iterdir()) == [] and list((isolated_zoo / "pretrained").iterdir()) == []


CRASHING_EXPORT = """
import os, sys, torch
import zoo.export, zoo.io
from zoo.export import export_module
from zoo.registry import create_model

def crash_on_call(n, original):
    calls = []
    def wrapper(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            os._exit(9)
        return original(*args, **kwargs)
    return wrapper

step = sys.argv[1]
if step == "staging":          # killed while the new folder is being written: nothing visible changed
    zoo.export.publish = crash_on_call(1, None)
elif step == "after-journal":  # killed right after the commit point: the publish must be finished later
    zoo.io._roll_forward = crash_on_call(1, None)
elif step == "between-renames":  # folder swapped, registry entry not: the worst moment of the old code
    zoo.io.os.replace = crash_on_call(2, os.replace)  # 1: the journal, 2: the registry entry
torch.manual_seed(1)
export_module(create_model("gcn", **%r).eval(), "gcn", %r, %r)
"""


@pytest.mark.parametrize("step", ["staging", "after-journal", "between-renames"])
def test_an_export_killed_at_any_step_is_recovered_by_the_next_writing_command(isolated_zoo, lightning_ckpt, step,
                                                                                 capsys):
    import subprocess
    import sys

    from zoo.cli import main
    from zoo.hub import CheckpointError

    path, system = lightning_ckpt
    first = export_checkpoint(path, META)
    script = CRASHING_EXPORT % (ARGS, ARGS, META)
    result = subprocess.run([sys.executable, "-c", script, step], capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 9, result.stderr
    assert any(p.name.startswith(".") for p in checkpoints_dir().iterdir())  # it did leave something behind
    if step != "staging":  # a reader changes nothing on disk: it names the unfinished publish and the fix
        with pytest.raises(CheckpointError, match="an export of gcn-tiny .* was interrupted .*run `zoo cards`"):
            zoo.load("gcn-tiny")

    assert main(["cards"]) == 0  # the next writing command finishes or undoes the export, and says so
    assert ("finished the interrupted publish" if step != "staging" else "staged folder") in capsys.readouterr().err
    model = zoo.load("gcn-tiny")
    cfg = get_pretrained_cfg("gcn-tiny")
    assert [p.name for p in checkpoints_dir().iterdir()] == ["gcn-tiny"]
    assert [p.name for p in (isolated_zoo / "pretrained").iterdir()] == ["gcn-tiny.json"]
    x, edge_index = torch.randn(5, 6), torch.randint(0, 5, (2, 8))
    if step == "staging":
        assert cfg.sha256 == first.sha256
        torch.testing.assert_close(model(x, edge_index), system.net.eval()(x, edge_index))
    else:
        torch.manual_seed(1)
        retrained = create_model("gcn", **ARGS).eval()
        assert cfg.sha256 != first.sha256
        torch.testing.assert_close(model(x, edge_index), retrained(x, edge_index))


# ---- zoo export RUN --id NEW: the card's fields from the run and its recipe's id, no metadata file (issue 20) ----

@pytest.fixture
def cora_run(isolated_zoo, data_root, monkeypatch):
    """A one-epoch run of recipes/gcn/cora.yaml in the isolated zoo, whose registry holds gcn-cora's entry."""
    import shutil

    from zoo.training import fit

    repo = Path(__file__).resolve().parents[1]
    shutil.copy(repo / "zoo" / "pretrained" / "gcn-cora.json", isolated_zoo / "pretrained")
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(isolated_zoo)
    (isolated_zoo / "recipes").symlink_to(repo / "recipes")
    return fit("recipes/gcn/cora.yaml", ["--trainer.max_epochs=1", "--trainer.enable_progress_bar=false"])


def test_a_run_exports_without_metadata(cora_run, capsys):
    from zoo.cli import main

    assert main(["export", str(cora_run.dir), "--id", "gcn-cora-mine"]) == 0
    cfg, shipped = get_pretrained_cfg("gcn-cora-mine"), get_pretrained_cfg("gcn-cora")
    assert (cfg.method, cfg.dataset, cfg.evaluator, cfg.paper_results) == (
        shipped.method, shipped.dataset, shipped.evaluator, shipped.paper_results)
    assert cfg.model_args == shipped.model_args and cfg.architecture == "gcn"
    accuracy = cfg.metric("test_accuracy")
    assert accuracy.value == pytest.approx(cora_run.test_metrics["test/accuracy"], abs=1e-4)  # the run's own test
    assert accuracy.command == "zoo eval gcn-cora-mine" and accuracy.std is None
    assert [m.name for m in cfg.metrics] == ["test_accuracy"]  # the 10-seed mean is not this run's
    assert cfg.reproduce.recipe == "recipes/gcn/cora.yaml"
    assert cfg.reproduce.overrides == ("--trainer.max_epochs=1", "--trainer.enable_progress_bar=false")
    assert cfg.training["wandb_run_id"] == cora_run.wandb_run_id and cfg.training["wandb_project"] == "zoo"
    assert cfg.training["wandb_synced"] is False and cfg.training["epochs_completed"] == 1
    card = (checkpoints_dir() / "gcn-cora-mine" / "README.md").read_text()
    assert f"W&B run: `{cora_run.wandb_run_id}` in project `zoo` (logged offline" in card


def test_meta_overrides_and_no_eval_leaves_the_metrics_out(cora_run, isolated_zoo, monkeypatch):
    import zoo.evaluation
    from zoo.cli import main

    monkeypatch.setattr(zoo.evaluation, "evaluate_checkpoint", _must_not_run)
    (isolated_zoo / "meta.json").write_text(json.dumps({"notes": "mine", "dataset": "Cora (mine)"}))
    last = cora_run.dir / "checkpoints" / "last.ckpt"
    assert main(["export", str(last), "--id", "gcn-cora-mine", "--no-eval", "--meta", "meta.json"]) == 0
    cfg = get_pretrained_cfg("gcn-cora-mine")
    assert cfg.metrics == () and cfg.notes == "mine" and cfg.dataset == "Cora (mine)"


def _must_not_run(*args, **kwargs):
    raise AssertionError("evaluated although nothing would be exported")


def test_a_bad_id_or_another_model_is_refused_before_the_evaluation(cora_run, isolated_zoo, monkeypatch, capsys):
    import zoo.evaluation
    from zoo.cli import main

    monkeypatch.setattr(zoo.evaluation, "evaluate_checkpoint", _must_not_run)
    assert main(["export", str(cora_run.dir), "--id", "../x"]) == 2
    assert "invalid model id" in capsys.readouterr().err
    assert main(["export", str(cora_run.dir)]) == 2
    assert "pass --id NEW-ID" in capsys.readouterr().err
    (isolated_zoo / "pretrained" / "gan-mnist.json").write_text(
        (Path(__file__).resolve().parents[1] / "zoo" / "pretrained" / "gan-mnist.json").read_text())
    before = snapshot(isolated_zoo / "pretrained")
    assert main(["export", str(cora_run.dir), "--id", "gan-mnist"]) == 2
    assert "gan-mnist is shipped with architecture 'dcgan_generator'" in capsys.readouterr().err
    assert snapshot(isolated_zoo / "pretrained") == before


def test_a_run_no_id_trains_needs_a_protocol(cora_run, isolated_zoo, capsys):
    import yaml

    from zoo.cli import main
    from zoo.training import fit

    recipe = yaml.safe_load(Path("recipes/gcn/cora.yaml").read_text())
    recipe["model"]["init_args"]["model_args"]["hidden_channels"] = 8
    Path("wide.yaml").write_text(yaml.safe_dump(recipe))
    run = fit("wide.yaml", ["--trainer.max_epochs=1", "--trainer.enable_progress_bar=false"], test=False)
    capsys.readouterr()
    assert main(["export", str(run.dir), "--id", "gcn-wide"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no shipped id trains recipe wide.yaml" in err and "--protocol ID" in err
    assert main(["export", str(run.dir), "--id", "gcn-wide", "--protocol", "gcn-cora"]) == 0
    assert get_pretrained_cfg("gcn-wide").model_args["hidden_channels"] == 8
