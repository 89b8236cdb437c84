"""zoo.io: id checks, atomic writes, data keys, and recovery of what a crash left behind."""

import os
import pickle

import pytest

from zoo.io import (
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


def test_recover_puts_back_a_folder_the_old_swap_left_aside_and_sweeps_stale_temporaries(tmp_path):
    (tmp_path / ".gcn-cora.old-4242").mkdir()  # the pre-journal export: killed between its two renames
    (tmp_path / ".gcn-cora.old-4242" / "model.safetensors").write_text("weights")
    (tmp_path / ".nfp-esol.tmp-99999999-abc").mkdir()  # a dead writer's staging folder
    (tmp_path / ".x.json.tmp-99999999-def").write_text("{")
    live = tmp_path / f".mine.tmp-{os.getppid()}-ghi"  # a running writer's: left alone
    live.mkdir()
    done = recover(tmp_path)
    assert len(done) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["gcn-cora", live.name])
    assert (tmp_path / "gcn-cora" / "model.safetensors").read_text() == "weights"


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
                                                 "recipe": "r"}))
    with pytest.raises(InvalidIdError, match="invalid model id '.'"):
        list_models()
