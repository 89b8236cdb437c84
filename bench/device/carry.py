"""Cut the packed parts into carry folders that each fit one device call, and join them again on the machine.

A call carries at most ``64 MiB - (working tree)`` bytes. Each part (``.gpu/<part>/``, a data root of its own) is
archived as ``<part>.tar.xz`` (xz: the 6,000 small JPEGs share their headers, MNIST's IDX shrinks by a fifth),
and the archives, in order, are cut into pieces ``<part>.tar.xz.<k>-of-<n>`` that fill the carry folders
``.gpu/carry1``, ``.gpu/carry2`` ... up to ``room`` bytes each; ``<part>.sha256`` travels with the last piece.
Every folder but the last travels with a staging call (``true``) to the machine, which keeps ignored files while it
stays warm; the last travels with the call that runs ``bench/device/run.sh``.

On the machine, ``python3 -m bench.device.carry join .gpu DEST`` reassembles every part whose pieces are all
there, checks its sha256 and unpacks it into ``DEST`` (one merged data root); it names the parts it could not
join, so the run goes on with what arrived.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import sys
import tarfile
from pathlib import Path

PIECE = re.compile(r"^(?P<part>[a-z0-9_]+)\.tar\.xz\.(?P<k>\d{3})-of-(?P<n>\d{3})$")


def archive(folder: Path, target: Path) -> Path:
    with tarfile.open(target, "w:xz", preset=9) as tar:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                tar.add(path, arcname=str(path.relative_to(folder)))
    return target


def split(pack_dir: Path, parts: list[str], room: int) -> list[Path]:
    """Archive ``pack_dir/<part>`` for each part and cut the archives into carry folders of ``room`` bytes
    (less 100 bytes per part for the sha256 files)."""
    room -= 100 * len(parts)
    for old in pack_dir.glob("carry*"):
        shutil.rmtree(old)
    work = pack_dir / ".archives"
    work.mkdir(parents=True, exist_ok=True)
    folders: list[Path] = []
    free = 0
    for part in parts:
        data = archive(pack_dir / part, work / f"{part}.tar.xz").read_bytes()
        pieces, offset = [], 0
        while offset < len(data):
            if free <= 0:
                folders.append(pack_dir / f"carry{len(folders) + 1}")
                folders[-1].mkdir()
                free = room
            pieces.append((folders[-1], data[offset: offset + free]))
            offset += len(pieces[-1][1])
            free -= len(pieces[-1][1])
        n = len(pieces)
        for k, (folder, chunk) in enumerate(pieces, 1):
            (folder / f"{part}.tar.xz.{k:03d}-of-{n:03d}").write_bytes(chunk)
        (pieces[-1][0] / f"{part}.sha256").write_text(hashlib.sha256(data).hexdigest() + "\n")
    shutil.rmtree(work)
    return folders


def join(pack_dir: Path, dest: Path) -> tuple[list[str], list[str]]:
    """Unpack every complete part found under ``pack_dir/carry*`` into ``dest``; return (joined, incomplete)."""
    found: dict[str, dict[int, Path]] = {}
    counts: dict[str, int] = {}
    for path in sorted(pack_dir.glob("carry*/*.tar.xz.*")):
        match = PIECE.match(path.name)
        if match:
            found.setdefault(match["part"], {})[int(match["k"])] = path
            counts[match["part"]] = int(match["n"])
    joined, incomplete = [], []
    dest.mkdir(parents=True, exist_ok=True)
    for part, pieces in sorted(found.items()):
        sums = list(pack_dir.glob(f"carry*/{part}.sha256"))
        if len(pieces) != counts[part] or not sums:
            incomplete.append(f"{part} ({len(pieces)} of {counts[part]} pieces)")
            continue
        data = b"".join(pieces[k].read_bytes() for k in sorted(pieces))
        if hashlib.sha256(data).hexdigest() != sums[0].read_text().strip():
            incomplete.append(f"{part} (sha256 mismatch)")
            continue
        tmp = dest / f".{part}.tar.xz"
        tmp.write_bytes(data)
        with tarfile.open(tmp, "r:xz") as tar:
            tar.extractall(dest, filter="data")
        tmp.unlink()
        joined.append(part)
    return joined, incomplete


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("join", help="reassemble and unpack the carried parts")
    p.add_argument("pack_dir", type=Path)
    p.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    joined, incomplete = join(args.pack_dir, args.dest)
    print(f"carry: joined {', '.join(joined) or 'nothing'} into {args.dest}"
          + (f"; incomplete: {', '.join(incomplete)}" if incomplete else ""), flush=True)
    return 0 if joined else 1


if __name__ == "__main__":
    sys.exit(main())
