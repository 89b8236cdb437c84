"""Pack the compact data the GAN GPU run needs into ``.gpu/data`` (gitignored; budget 26 MB).

    python bench/gan/pack_gpu_data.py [--root ../shared/data] [--out .gpu/data] [--quality 95]

- ``MNIST/raw/train-images-idx3-ubyte.gz`` copied unchanged (9.9 MB; the GANs read no labels);
- ``celeba/img_align_celeba/<name>.jpg``: each of the 6,000 faces already center-cropped (108 px) and resized to
  64x64 by :func:`zoo.data.images.load_face`, saved as JPEG (quality 93, so MNIST + faces fit the 26 MB budget). The recipe's datamodule takes 64x64
  images as they are, so ``recipes/wgan-gp/celeba.yaml`` runs unchanged with ``ZOO_DATA_ROOT=.gpu/data``; the
  only difference from the original pipeline is the JPEG re-encoding of the 64x64 crops.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from PIL import Image

from zoo.data.images import ImageFolderDataModule, load_face
from zoo.data.root import data_root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=None)
    parser.add_argument("--out", default=".gpu/data")
    parser.add_argument("--quality", type=int, default=93)
    args = parser.parse_args()
    src, out = data_root(args.root), Path(args.out)
    mnist = out / "MNIST" / "raw"
    mnist.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src / "MNIST" / "raw" / "train-images-idx3-ubyte.gz", mnist / "train-images-idx3-ubyte.gz")
    dm = ImageFolderDataModule(args.root)
    faces = out / dm.folder
    faces.mkdir(parents=True, exist_ok=True)
    for path in dm.files():
        pixels = load_face(path, dm.image_size, dm.crop_size).transpose(1, 2, 0)
        Image.fromarray(pixels).save(faces / f"{path.stem}.jpg", quality=args.quality)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file() and ("MNIST" in p.parts or "celeba" in p.parts))
    print(f"packed {len(dm.files())} faces and MNIST train images into {out}: {total / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
