"""Compute (once) and cache the TF-Inception features of the real sets the GAN cards compare with.

    python -m bench.gan.cache_real_features [--only mnist|celeba] [--floor]

Real sets: MNIST test[:1000] and CelebA[:1000] (64 px, crop 108). ``--floor`` also measures the protocol's
floor (500 other real images scored like a generator; ``shipping.real_floor``), shown on the cards as baseline.

The cache lives in ``$ZOO_CACHE_DIR/fid`` (default ``~/.cache/zoo/fid``); ``zoo eval`` and
``python -m bench.device.import_results`` reuse it. On the shared 2-core machine Inception runs at about 1-4 images per second.
"""

from __future__ import annotations

import argparse
import time

import torch

from bench.gan.shipping import N_REAL, real_floor
from zoo.data.images import ImageFolderDataModule, MNISTDataModule
from zoo.metrics.fid import InceptionFeatures, cached_features, real_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--root", default=None, help="data root (default $ZOO_DATA_ROOT)")
    parser.add_argument("--n", type=int, default=N_REAL)
    parser.add_argument("--only", choices=["mnist", "celeba"], default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--floor", action="store_true", help="also measure the protocol's real-data floor")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    extractor = InceptionFeatures()
    sets = {"mnist": MNISTDataModule(args.root), "celeba": ImageFolderDataModule(args.root)}
    for name, dm in sets.items():
        if args.only and name != args.only:
            continue
        start = time.time()
        key = real_key(dm, dm.real_split, args.n)
        feats = cached_features(key, lambda dm=dm: dm.real_images(args.n, split=dm.real_split), extractor,
                                progress=f"{key}: inception features")
        print(f"{key}: {tuple(feats.shape)} in {time.time() - start:.0f}s", flush=True)
        if args.floor:
            print(f"{name} floor:", real_floor(name, args.root), f"{time.time() - start:.0f}s", flush=True)


if __name__ == "__main__":
    main()
