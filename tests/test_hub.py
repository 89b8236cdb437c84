import json

import pytest
import torch

from zoo.hub import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    CheckpointError,
    load_folder,
    save_pretrained,
)
from zoo.io import atomic_folder, sha256_file
from zoo.registry import create_model

ARGS = {"in_channels": 5, "out_channels": 3, "hidden_channels": 4}


@pytest.fixture
def folder(tmp_path):
    torch.manual_seed(0)
    model = create_model("gcn", **ARGS)
    return save_pretrained(model, tmp_path / "tiny", "gcn", ARGS), model


def test_round_trip_gives_identical_outputs_in_eval_mode(folder):
    path, model = folder
    loaded = load_folder(path, expected_sha256=sha256_file(path / WEIGHTS_NAME))
    assert not loaded.training
    x, edge_index = torch.randn(7, 5), torch.randint(0, 7, (2, 12))
    torch.testing.assert_close(loaded(x, edge_index), model.eval()(x, edge_index))


def test_truncated_weights_are_reported(folder):
    path, _ = folder
    data = (path / WEIGHTS_NAME).read_bytes()
    (path / WEIGHTS_NAME).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupted"):
        load_folder(path)


def test_sha256_mismatch_is_reported(folder):
    path, _ = folder
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        load_folder(path, expected_sha256="0" * 64)


def test_config_for_another_architecture_is_reported(folder):
    path, _ = folder
    with pytest.raises(CheckpointError, match="describes architecture 'gcn'.*expects 'dcgan'"):
        load_folder(path, expected_architecture="dcgan")


def test_config_whose_args_do_not_fit_the_weights_is_reported(folder):
    path, _ = folder
    config = json.loads((path / CONFIG_NAME).read_text())
    config["model_args"]["hidden_channels"] = 8
    (path / CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="does not match architecture 'gcn'"):
        load_folder(path)


def test_config_with_missing_keys_is_reported(folder):
    path, _ = folder
    (path / CONFIG_NAME).write_text(json.dumps({"architecture": "gcn"}))
    with pytest.raises(CheckpointError, match="lacks the keys \\['model_args'\\]"):
        load_folder(path)
    (path / CONFIG_NAME).write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_folder(path)


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(CheckpointError, match="config.json.*is missing|is missing"):
        load_folder(tmp_path / "nothing")


def test_atomic_folder_leaves_nothing_behind_on_error(tmp_path):
    target = tmp_path / "ckpt"
    with pytest.raises(RuntimeError), atomic_folder(target) as tmp:
        (tmp / "partial").write_text("half")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_atomic_folder_replaces_an_existing_folder(tmp_path):
    target = tmp_path / "ckpt"
    target.mkdir()
    (target / "old").write_text("old")
    with atomic_folder(target) as tmp:
        (tmp / "new").write_text("new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]
    assert [p.name for p in target.iterdir()] == ["new"]


@pytest.fixture
def shipped_copy(isolated_zoo):
    """A private copy of the shipped mpnn-qm9-mu folder and registry entry, free to tamper with."""
    import shutil
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "checkpoints" / "mpnn-qm9-mu", isolated_zoo / "checkpoints" / "mpnn-qm9-mu")
    shutil.copy(repo / "zoo" / "pretrained" / "mpnn-qm9-mu.json", isolated_zoo / "pretrained")
    return isolated_zoo / "checkpoints" / "mpnn-qm9-mu"


@pytest.mark.parametrize("key, value", [("num_steps", 6), ("aggr", "mean")])
def test_config_edited_away_from_the_registry_entry_is_refused(shipped_copy, key, value):
    from zoo.hub import load

    load("mpnn-qm9-mu")  # the untouched copy loads
    config = json.loads((shipped_copy / CONFIG_NAME).read_text())
    expected = config["model_args"][key]
    config["model_args"][key] = value
    (shipped_copy / CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=f"does not match its registry entry: model_args {key} "
                                              f"{value!r} \\(expected {expected!r}\\)"):
        load("mpnn-qm9-mu")


def test_weights_holding_nan_are_refused(folder):
    from safetensors.torch import load_file, save_file

    path, _ = folder
    state = load_file(str(path / WEIGHTS_NAME))
    name = next(iter(state))
    state[name][...] = float("nan")
    save_file(state, str(path / WEIGHTS_NAME), metadata={"format": "pt"})
    with pytest.raises(CheckpointError, match=f"NaN or infinite values in {name}"):
        load_folder(path)


@pytest.mark.parametrize("content", ["[1, 2]", '{"architecture": 3, "model_args": {}}',
                                     '{"architecture": "no_such_net", "model_args": {}}'])
def test_malformed_or_foreign_configs_are_one_line_checkpoint_errors(folder, content):
    path, _ = folder
    (path / CONFIG_NAME).write_text(content)
    with pytest.raises(CheckpointError) as info:
        load_folder(path)
    assert "\n" not in str(info.value)


def test_fine_tuning_says_which_weights_it_loaded(capsys):
    """``init_from`` goes through load_state_into, which names the module, the id, the sha256 and the folder."""
    from zoo.hub import load_state_into
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg("gcn-cora")
    module = load_state_into(create_model(cfg.architecture, **cfg.model_args), "gcn-cora")
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"initialised {type(module).__name__} from gcn-cora (sha256 {cfg.sha256[:12]}…")
    assert line.count("\n") == 0 and "checkpoints/gcn-cora" in line


def test_model_args_asking_for_terabytes_are_refused_before_any_allocation(folder):
    path, _ = folder
    config = json.loads((path / CONFIG_NAME).read_text())
    config["model_args"]["hidden_channels"] = 10**8  # 900 M parameters: 3.6 GB if it were built
    (path / CONFIG_NAME).write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config.json: model_args describe a 'gcn' model of 900,000,003 "
                                              r"parameters, more than the 100,000,000"):
        load_folder(path)


def test_an_oversized_config_is_refused_unparsed(folder):
    path, _ = folder
    (path / CONFIG_NAME).write_text(" " * (2**20 + 1) + "{}")
    with pytest.raises(CheckpointError, match="holds 1,048,579 bytes, more than the 1,048,576"):
        load_folder(path)



def test_weights_holding_more_than_the_model_are_refused_before_they_are_read(folder):
    from safetensors.torch import save_file

    path, model = folder
    state = {**model.state_dict(), "extra": torch.zeros(2**22 + 1)}  # 16 MiB of floats nobody asked for
    save_file(state, str(path / WEIGHTS_NAME))
    with pytest.raises(CheckpointError, match="holds 16,777,736 bytes, more than a 'gcn' model of 39 parameters"):
        load_folder(path)
