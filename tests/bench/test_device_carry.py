"""bench.device.carry: parts cut into carry folders of a fixed size come back identical, and a missing piece is
named instead of half-unpacked."""

import os
import shutil

from bench.device.carry import join, split


def _part(root, name, files):
    for rel, data in files.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def test_split_and_join_round_trip(tmp_path):
    pack = tmp_path / ".gpu"
    incompressible = os.urandom(30_000)
    _part(pack, "base", {"MNIST/raw/train.gz": incompressible, "wheels/a.whl": b"wheel"})
    _part(pack, "qm9", {"qm9/store.npz": os.urandom(25_000)})
    folders = split(pack, ["base", "qm9"], room=12_000)
    assert len(folders) >= 5  # 55 kB of random bytes in 12 kB calls
    assert all(sum(f.stat().st_size for f in folder.iterdir()) <= 12_000 for folder in folders)
    joined, incomplete = join(pack, tmp_path / "data")
    assert joined == ["base", "qm9"] and incomplete == []
    assert (tmp_path / "data" / "MNIST/raw/train.gz").read_bytes() == incompressible
    assert (tmp_path / "data" / "wheels/a.whl").read_bytes() == b"wheel"


def test_join_skips_a_part_with_a_missing_piece(tmp_path):
    pack = tmp_path / ".gpu"
    _part(pack, "base", {"a.bin": os.urandom(20_000)})
    _part(pack, "qm9", {"b.bin": b"small"})
    folders = split(pack, ["base", "qm9"], room=8_000)
    shutil.rmtree(folders[0])  # a staging call that never reached the machine
    joined, incomplete = join(pack, tmp_path / "data")
    assert joined == ["qm9"]
    assert incomplete and incomplete[0].startswith("base (")
    assert not (tmp_path / "data" / "a.bin").exists()
