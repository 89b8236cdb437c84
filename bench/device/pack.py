"""Step 1 of 3, here: pack what ``bench/device/run.sh`` needs on the GPU machine into ``.gpu/`` (gitignored).

The GPU machine has no internet, no RDKit, no jsonargparse and no wandb, and what travels with a call (the
working tree plus the carried paths) is limited to 64 MiB, most of which the tracked tree already uses
(the shipped checkpoints). So the data goes in compact, ready-to-train forms, one folder per part, each a data
root of its own (``run.sh`` unpacks them into one):

- ``base``: wheels for ``zoo train`` (jsonargparse with its signature extras; ``--with-wandb`` adds wandb and its
  dependencies, about 25 MB), MNIST's training images (``MNIST/raw/train-images-idx3-ubyte.gz`` unchanged), and
  for the throughput table Cora (``Planetoid/Cora/raw``) and ESOL with its NFP featurization (``cache/``);
- ``celeba``: the 6,000-face subset already center-cropped (108 px) and resized to 64x64 by
  :func:`zoo.data.images.load_face`, as JPEG (``--jpeg-quality``); the datamodule takes 64x64 images unchanged, so
  the recipe runs as it is; the only difference from the original pipeline is the JPEG re-encoding;
- ``qm9``: the packed graph store (``python -m zoo.data.qm9 pack --quantize``: int16 milli-angstrom positions,
  RDKit's work done here) with the targets ``--qm9-targets``.

It then cuts the parts into carry folders ``.gpu/carry<i>`` that fit one call each (:mod:`bench.device.carry`)
and prints the calls to make, in order: every folder but the last travels with a staging call to the same warm
machine, the last with the call that runs ``run.sh``. Nothing outside ``.gpu/`` is written.

    ZOO_DATA_ROOT=../shared/data python -m bench.device.pack [--with-wandb] [--jpeg-quality 90]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from bench.device.carry import split

CALL_LIMIT = 64 * 2**20  # bytes that travel with one call: tracked + untracked-not-ignored files + carry
MARGIN = 2**20  # headroom for files other helpers add meanwhile
PACK_DIR = Path(".gpu")
PARTS = ("base", "celeba", "qm9")
JSONARGPARSE = ["jsonargparse==4.53.0", "docstring_parser==0.18.0", "typeshed_client==2.15.0"]
WANDB = ["wandb==0.31.0", "sentry-sdk", "gitpython", "gitdb", "smmap", "platformdirs", "pydantic", "pydantic-core",
         "annotated-types", "typing-inspection", "xxhash", "cwevals==0.0.1b1", "opentelemetry-api",
         "opentelemetry-sdk", "opentelemetry-exporter-otlp-proto-http", "opentelemetry-exporter-otlp-proto-common",
         "opentelemetry-proto", "opentelemetry-semantic-conventions", "googleapis-common-protos", "importlib-metadata"]
PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
             "manylinux1_x86_64"]


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def tree_bytes() -> int:
    """Bytes of the working tree that travel with every call: tracked plus untracked-not-ignored files."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            capture_output=True, check=True).stdout.split(b"\0")
    return sum(Path(p.decode()).stat().st_size for p in listed if p and Path(p.decode()).is_file())


def download_wheels(names: list[str], out: Path) -> None:
    """Wheels for the GPU image's Python (3.12, x86-64); no dependencies resolved: every one is named."""
    out.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:", "--python-version",
           "3.12", "--implementation", "cp", *[a for p in PLATFORMS for a in ("--platform", p)], "-d", str(out)]
    subprocess.run(cmd + names, check=True)


def pack_base(out: Path, root: Path, with_wandb: bool) -> None:
    download_wheels(JSONARGPARSE + (WANDB if with_wandb else []), out / "wheels")
    mnist = out / "MNIST" / "raw"
    mnist.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "MNIST" / "raw" / "train-images-idx3-ubyte.gz", mnist / "train-images-idx3-ubyte.gz")
    cora = root / "Planetoid" / "Cora" / "raw"
    if cora.is_dir():
        shutil.copytree(cora, out / "Planetoid" / "Cora" / "raw", dirs_exist_ok=True)
    pack_esol(out, root)


def pack_esol(out: Path, root: Path) -> None:
    """ESOL and its NFP featurization (RDKit's work, done here) in ``cache/``, which run.sh makes the cache
    folder there: the throughput table's NFP family trains on it."""
    import os

    from zoo.data.moleculenet import MoleculeNetDataModule

    (out / "moleculenet").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(root / "moleculenet" / "esol.csv", out / "moleculenet" / "esol.csv")
    previous = os.environ.get("ZOO_CACHE_DIR")
    os.environ["ZOO_CACHE_DIR"] = str(out / "cache")
    try:
        MoleculeNetDataModule(root=str(root), dataset="esol", featurizer="nfp").setup()
    finally:
        if previous is None:
            del os.environ["ZOO_CACHE_DIR"]
        else:
            os.environ["ZOO_CACHE_DIR"] = previous


def pack_celeba(out: Path, root: Path, quality: int) -> None:
    from PIL import Image

    from zoo.data.images import ImageFolderDataModule, load_face

    dm = ImageFolderDataModule(str(root))
    faces = out / dm.folder
    faces.mkdir(parents=True, exist_ok=True)
    for path in dm.files():
        pixels = load_face(path, dm.image_size, dm.crop_size).transpose(1, 2, 0)
        Image.fromarray(pixels).save(faces / f"{path.stem}.jpg", quality=quality)


def pack_qm9(out: Path, root: Path, targets: list[int]) -> None:
    from zoo.data import qm9

    qm9.main(["pack", str(out / "qm9" / qm9.PACKED_NAME), "--root", str(root), "--quantize", "--targets",
              *map(str, targets)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=None, help="data root (default $ZOO_DATA_ROOT)")
    parser.add_argument("--out", type=Path, default=PACK_DIR)
    parser.add_argument("--parts", nargs="*", choices=PARTS, default=list(PARTS),
                        help="parts to (re)pack; none: only recut the carry folders")
    parser.add_argument("--with-wandb", action="store_true", help="carry wandb too (W&B offline logs there)")
    parser.add_argument("--jpeg-quality", type=int, default=90)
    parser.add_argument("--qm9-targets", type=int, nargs="+", default=[0], help="QM9 target columns to keep")
    args = parser.parse_args(argv)

    from zoo.data.root import data_root

    root = data_root(args.root)
    for part in args.parts:
        folder = args.out / part
        if folder.exists():
            shutil.rmtree(folder)
        staging = args.out / f".{part}.partial"
        if staging.exists():
            shutil.rmtree(staging)
        if part == "base":
            pack_base(staging, root, args.with_wandb)
        elif part == "celeba":
            pack_celeba(staging, root, args.jpeg_quality)
        else:
            pack_qm9(staging, root, args.qm9_targets)
        staging.rename(folder)  # a part is either complete or absent
        print(f"packed {folder}: {size_of(folder) / 2**20:.1f} MiB", flush=True)

    parts = [p for p in PARTS if (args.out / p).is_dir()]
    tree = tree_bytes()
    room = CALL_LIMIT - tree - MARGIN
    folders = split(args.out, parts, room)
    plan = {"tree_mib": round(tree / 2**20, 2), "room_per_call_mib": round(room / 2**20, 2),
            "parts_mib": {p: round(size_of(args.out / p) / 2**20, 2) for p in parts},
            "carry_mib": {str(f): round(size_of(f) / 2**20, 2) for f in folders}}
    (args.out / "plan.json").write_text(json.dumps(plan, indent=2) + "\n")
    print(json.dumps(plan, indent=2))
    print(f"carry plan: {len(folders)} call(s) to one machine, each at most {room / 2**20:.1f} MiB beside the "
          f"{tree / 2**20:.1f} MiB working tree; make them back to back (the machine stays warm 30 s):")
    for i, folder in enumerate(folders, 1):
        command = "bash bench/device/run.sh" if i == len(folders) else "true"
        print(f"  call {i}: carry [{json.dumps(str(folder))}], command: {command}")


if __name__ == "__main__":
    main()
