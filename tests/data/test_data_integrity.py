"""Files under the data root are untrusted and caches must never answer for other data: a planted pickle does
not run, a cache is keyed by the data's path and hashes, and a failed download leaves nothing behind."""

import os
import pickle
import shutil

import numpy as np
import pytest
import torch

from zoo.data.root import DataNotFoundError
from zoo.io import UnsafeFileError


class Exploit:
    """Unpickling this runs a shell command that creates ``marker``: what a planted file could do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_a_planted_featurization_file_in_the_data_root_does_not_run(data_root, tmp_path, cache):
    from zoo.data.moleculenet import MoleculeNetDataModule, _cache_path, read_csv

    root = tmp_path / "root"
    (root / "moleculenet").mkdir(parents=True)
    shutil.copy(data_root / "moleculenet" / "esol.csv", root / "moleculenet")
    smiles, _ = read_csv("esol", root)
    planted = root / "moleculenet" / _cache_path("esol", "mpnn", smiles[:6]).name
    torch.save({"items": Exploit(tmp_path / "pwned"), "kept": []}, planted)

    dm = MoleculeNetDataModule("esol", root=str(root), featurizer="mpnn", limit=6)
    with pytest.warns(UserWarning, match="not a featurized-molecules file the zoo can read safely"):
        dm.setup()
    assert not (tmp_path / "pwned").exists()
    assert sum(len(v) for v in dm.datasets.values()) == 6  # featurized again instead
    again = MoleculeNetDataModule("esol", root=str(root), featurizer="mpnn", limit=6)
    planted.unlink()
    again.setup()  # from the zoo's own cache, written in the safe format
    assert [d.x.shape for d in again.datasets["train"]] == [d.x.shape for d in dm.datasets["train"]]


@pytest.fixture
def cora_copy(data_root, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(data_root / "Planetoid" / "Cora" / "raw", root / "Planetoid" / "Cora" / "raw")
    return root


def hidden_system_call(marker) -> bytes:
    """A pickle that calls ``posix.system`` through STACK_GLOBAL, with two extra strings pushed and popped
    before it so that the last two strings in the file are ``numpy ndarray`` (what fooled an opcode scan)."""
    def text(s: str) -> bytes:
        return b"\x8c" + bytes([len(s)]) + s.encode()  # SHORT_BINUNICODE

    pop, stack_global, tuple1, reduce, stop = b"0", b"\x93", b"\x85", b"R", b"."
    return (b"\x80\x04" + text("posix") + text("system") + text("numpy") + pop + text("ndarray") + pop
            + stack_global + text(f"touch {marker}") + tuple1 + reduce + stop)


@pytest.mark.parametrize("field", ["x", "graph"])
@pytest.mark.parametrize("planted", ["plain", "hidden"])
def test_a_planted_planetoid_pickle_is_refused_before_it_runs(cora_copy, tmp_path, cache, planted, field):
    from zoo.data.planetoid import load_planetoid

    marker = tmp_path / "pwned"
    path = cora_copy / "Planetoid" / "Cora" / "raw" / f"ind.cora.{field}"
    path.unlink()  # the copy is read-only; write a new file
    if planted == "plain":
        with open(path, "wb") as f:
            pickle.dump(Exploit(marker), f, protocol=2)
    else:
        path.write_bytes(hidden_system_call(marker))
    with pytest.raises(UnsafeFileError, match=rf"ind.cora.{field} is not a plain Planetoid raw file.*names "
                                              r"posix.system") as refused:
        load_planetoid("cora", cora_copy)
    assert "\n" not in str(refused.value)
    assert not marker.exists()


def test_a_planetoid_file_that_is_not_the_format_is_refused(data_root, cora_copy):
    from zoo.data.planetoid import load_planetoid

    raw = cora_copy / "Planetoid" / "Cora" / "raw"
    (raw / "ind.cora.y").unlink()
    with open(raw / "ind.cora.y", "wb") as f:
        pickle.dump(np.array(["a", "b"], dtype=object), f, protocol=2)  # objects, not numbers
    with pytest.raises(UnsafeFileError, match=r"ind.cora.y is not a plain Planetoid raw file .*: it holds ndarray object"):
        load_planetoid("cora", cora_copy)
    (raw / "ind.cora.y").unlink()
    original = data_root / "Planetoid" / "Cora" / "raw" / "ind.cora.y"
    (raw / "ind.cora.y").write_bytes(original.read_bytes()[:500])  # truncated
    with pytest.raises(UnsafeFileError, match="ind.cora.y is not a readable Planetoid raw file"):
        load_planetoid("cora", cora_copy)


def relabel_test_nodes(root):
    """Give every Cora test node another class in the copy at ``root`` (a valid, different dataset)."""
    ty = root / "Planetoid" / "Cora" / "raw" / "ind.cora.ty"
    with open(ty, "rb") as f:
        labels = pickle.load(f, encoding="latin1")  # the real file, copied by the test: trusted here
    ty.unlink()  # the copy is read-only; write a new file
    with open(ty, "wb") as f:
        pickle.dump(np.roll(labels, 1, axis=1), f, protocol=2)


def test_other_planetoid_data_is_processed_again_not_answered_from_the_cache(data_root, cora_copy, cache):
    from zoo.data.planetoid import load_planetoid

    original = load_planetoid("cora", data_root)
    relabel_test_nodes(cora_copy)
    changed = load_planetoid("cora", cora_copy)
    assert not torch.equal(changed.y[changed.test_mask], original.y[original.test_mask])
    assert torch.equal(load_planetoid("cora", data_root).y, original.y)


def test_eval_on_other_data_reports_what_that_data_gives(data_root, cora_copy, cache):
    from zoo.evaluation import evaluate
    from zoo.registry import get_pretrained_cfg

    card = get_pretrained_cfg("gcn-cora").metric("test_accuracy").value
    assert evaluate("gcn-cora", root=data_root)["test_accuracy"] == pytest.approx(card, abs=0.2)
    relabel_test_nodes(cora_copy)
    assert evaluate("gcn-cora", root=cora_copy)["test_accuracy"] < card - 30


def test_a_failed_download_leaves_nothing_in_the_data_root(tmp_path, monkeypatch, cache):
    import urllib.error
    import urllib.request

    from zoo.data.planetoid import load_planetoid

    def offline(url, timeout=None):
        assert timeout is not None  # a stalled server must not make the zoo wait forever
        raise urllib.error.URLError("network unreachable")  # what urlopen raises offline

    monkeypatch.setenv("ZOO_DATA_DOWNLOAD", "1")  # the first-use download that fails (tests' default is off)
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    root = tmp_path / "empty-root"
    root.mkdir()
    with pytest.raises(DataNotFoundError, match="download failed"):
        load_planetoid("Cora", root)
    assert list(root.iterdir()) == []
    with pytest.raises(DataNotFoundError, match="download failed"):
        load_planetoid("Cora", tmp_path / "mistyped-root")  # a root that does not exist is not created
    assert not (tmp_path / "mistyped-root").exists()
