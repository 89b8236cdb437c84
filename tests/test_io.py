"""zoo.io: id checks, atomic writes, data keys, and recovery of what a crash left behind."""

import json
import os
import pickle

import pytest

from zoo.io import (
    JOURNAL_FORMAT,
    JOURNAL_PREFIX,
    STAGED_MARKER,
    InvalidIdError,
    UnsafeFileError,
    atomic_path,
    cache_dir,
    recover,
    restricted_load,
    source_key,
    validate_id,
    write_text_atomic,
)


@pytest.mark.parametrize("good", ["gcn-cora", "mpnn-qm9-mu", "wgan-gp-celeba", "a", "v1.2_x"])
def test_plain_folder_names_are_valid_ids(good):
    assert validate_id(good) == good


@pytest.mark.parametrize("bad", ["", ".", "..", "../x", "a/b", "/abs", "-x", ".hidden", "a b", "x" * 97, None, 3])
def test_paths_and_odd_names_are_not(bad):
    with pytest.raises(InvalidIdError, match="invalid model id"):
        validate_id(bad)


def test_an_atomic_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "entry.json"
    write_text_atomic(target, "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["entry.json"]
    assert oct(target.stat().st_mode & 0o777) == "0o644"


def test_source_key_follows_path_and_content(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f").write_text("1")
    key = source_key(tmp_path / "a")
    assert source_key(tmp_path / "a") == key
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "f").write_text("1")
    assert source_key(tmp_path / "b") != key  # same bytes elsewhere: another data root
    (tmp_path / "a" / "f").write_text("2")
    assert source_key(tmp_path / "a") != key  # same path, edited file


def test_cache_dir_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "c"))
    assert cache_dir("x", "y") == tmp_path / "c" / "x" / "y" and (tmp_path / "c" / "x" / "y").is_dir()
    monkeypatch.delenv("ZOO_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "zoo" / "processed"


DEAD_PID = 99999999  # above any pid_max: no process has it
TOKEN = "0123456789abcdef"


def snapshot(*folders):
    """Every entry under ``folders`` with its bytes (a folder as None, a link as its target)."""
    return {p: (str(p.readlink()) if p.is_symlink() else None if p.is_dir() else p.read_bytes())
            for folder in folders for p in sorted(folder.rglob("*"))}


def staged(folder, name, pid=DEAD_PID, token=TOKEN, marker=TOKEN):
    """A folder named as :func:`zoo.io.staged_folder` names them, with ``marker`` in its marker file (or none)."""
    path = folder / f".{name}.tmp-{pid}-{token}"
    path.mkdir()
    if marker is not None:
        (path / STAGED_MARKER).write_text(marker)
    return path


def test_recover_sweeps_only_staged_folders_that_carry_the_zoos_marker(tmp_path):
    dead = staged(tmp_path, "nfp-esol")  # a dead writer's staging folder: the one thing removed
    (dead / "model.safetensors").write_text("half")
    live = staged(tmp_path, "mine", pid=os.getppid())  # a running writer's
    forged = staged(tmp_path, "forged", marker="fedcba9876543210")  # a marker that is not its token
    unmarked = staged(tmp_path, "cache", marker=None)
    (tmp_path / ".notes.old-v1").write_text("my notes")  # a user's files that merely look like leftovers
    (tmp_path / ".bashrc.old-2024").write_text("export PS1")
    (tmp_path / ".gcn-cora.old-4242").mkdir()
    (tmp_path / ".gcn-cora.old-4242" / "model.safetensors").write_text("weights")
    (tmp_path / f".x.json.tmp-{DEAD_PID}-def").write_text("{")  # nothing proves the zoo wrote it: kept
    before = {p: b for p, b in snapshot(tmp_path).items() if dead not in (p, *p.parents)}
    assert recover(tmp_path) == [f"removed {dead}, the staged folder of an export that did not finish"]
    assert snapshot(tmp_path) == before and {live, forged, unmarked} <= set(before)
    assert not (tmp_path / ".notes").exists() and not (tmp_path / "gcn-cora").exists()  # nothing renamed


def plant_journals(ckpts, outside, victim):
    """The journals of the issue: the format before this one naming any path, and the current format naming
    a folder outside the zoo's, a folder by a relative path, and a folder that is a symbolic link."""
    payload = outside / "payload"
    payload.write_text("rm -rf ~")
    journals = {
        "x": {"folder": str(ckpts / "x"), "staged": str(ckpts / ".x.tmp-1-a"), "old": str(outside),
              "files": [[str(payload), str(victim)]]},
        "y": {"format": JOURNAL_FORMAT, "folder": "y", "pid": DEAD_PID, "token": TOKEN,
              "files": [{"dir": str(outside), "name": payload.name}]},
        "z": {"format": JOURNAL_FORMAT, "folder": "../outside", "pid": DEAD_PID, "token": TOKEN, "files": []},
        "gcn-tiny": {"format": JOURNAL_FORMAT, "folder": "gcn-tiny", "pid": DEAD_PID, "token": TOKEN, "files": []},
    }
    for name, journal in journals.items():
        (ckpts / f"{JOURNAL_PREFIX}{name}.json").write_text(json.dumps(journal))
    (ckpts / f".gcn-tiny.old-{DEAD_PID}-{TOKEN}").symlink_to(outside)  # its rmtree would empty `outside`
    (ckpts / "broken").mkdir()
    (ckpts / f"{JOURNAL_PREFIX}broken.json").write_text("{")


def test_a_planted_journal_is_left_alone_with_a_one_line_warning_and_touches_nothing(tmp_path):
    ckpts, registry, outside = tmp_path / "checkpoints", tmp_path / "pretrained", tmp_path / "outside"
    for folder in (ckpts, registry, outside):
        folder.mkdir()
    victim = tmp_path / ".bashrc"
    victim.write_text("export PS1")
    plant_journals(ckpts, outside, victim)
    before = snapshot(tmp_path)
    done = recover(ckpts, registry)
    assert snapshot(tmp_path) == before
    assert len(done) == 5 and all(line.startswith("warning: left ") and "\n" not in line for line in done)
    why = {line.split(JOURNAL_PREFIX)[1].split(".json")[0]: line.split(" alone: ")[1] for line in done}
    assert why["x"].startswith("it lacks the format mark") and why["y"].startswith(f"it names {outside}, outside")
    assert why["z"].startswith("its folder, pid or token") and why["broken"].startswith("it is not readable JSON")
    assert "old-99999999-0123456789abcdef is a symbolic link" in why["gcn-tiny"]


def test_reading_commands_never_recover_and_writing_ones_warn_about_a_planted_journal(isolated_zoo, capsys):
    import torch

    import zoo
    from zoo.cli import main
    from zoo.export import export_module
    from zoo.registry import create_model

    args = {"in_channels": 4, "out_channels": 2, "hidden_channels": 3}
    meta = {"id": "gcn-tiny", "method": "GCN", "paper": "-", "task": "node-classification", "dataset": "Tiny",
            "split": "all", "reproduce": {"recipe": "recipes/gcn/cora.yaml"},
            "metrics": [{"name": "test_accuracy", "value": 50.0}]}
    export_module(create_model("gcn", **args), "gcn", args, meta)
    outside = isolated_zoo / "outside"
    outside.mkdir()
    victim = isolated_zoo / ".bashrc"
    victim.write_text("export PS1")
    plant_journals(isolated_zoo / "checkpoints", outside, victim)
    before = snapshot(isolated_zoo)
    assert main(["list"]) == 0 and main(["info", "gcn-tiny"]) == 0
    assert isinstance(zoo.load("gcn-tiny"), torch.nn.Module)  # a journal it cannot trust does not block it
    assert capsys.readouterr().err == "" and snapshot(isolated_zoo) == before
    assert main(["cards", "--check"]) == 0  # reads only
    assert main(["cards"]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith("zoo: warning: left ")]
    assert len(warnings) == 5
    assert {p: b for p, b in snapshot(isolated_zoo).items() if p.name != "MODEL_CARDS.md"} == \
        {p: b for p, b in before.items() if p.name != "MODEL_CARDS.md"}


def test_restricted_load_builds_only_the_named_constructors(tmp_path):
    path = tmp_path / "data.pkl"
    with open(path, "wb") as f:
        pickle.dump([1, {2: 3}], f, protocol=2)
    assert restricted_load(path, {}, "list") == [1, {2: 3}]  # plain containers name nothing
    with open(path, "wb") as f:
        pickle.dump(os.getcwd, f, protocol=4)
    with pytest.raises(UnsafeFileError, match="names posix.getcwd, which that format never holds"):
        restricted_load(path, {("numpy", "ndarray"): list}, "array")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(UnsafeFileError, match="is not a readable array"):
        restricted_load(path, {}, "array")


def test_a_registry_entry_whose_id_is_a_path_is_refused(tmp_path, monkeypatch):
    import json

    from zoo.registry import list_models

    monkeypatch.setenv("ZOO_PRETRAINED_DIR", str(tmp_path))
    (tmp_path / "..json").write_text(json.dumps({"id": ".", "architecture": "gcn", "model_args": {}, "method": "m",
                                                 "paper": "p", "task": "t", "dataset": "d", "split": "s",
                                                 "reproduce": {"recipe": "r.yaml"}}))
    with pytest.raises(InvalidIdError, match="invalid model id '.'"):
        list_models()
