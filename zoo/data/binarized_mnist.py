"""Binarized MNIST for the adversarial autoencoder (Makhzani et al. 2016, sec. 3 and table 1).

Read with the zoo's MNIST reader (:func:`zoo.data.images.load_mnist_images`). Splits: ``train`` = the first
50,000 training images, ``val`` = the last 10,000 (where the Parzen bandwidth is chosen, as in Goodfellow et al.
2014), ``test`` = the official 10,000. Tensors hold grey levels in [0, 1] (784 per image); training batches are
binarized stochastically, x ~ Bernoulli(intensity), a fresh draw every epoch.
"""

from __future__ import annotations

from torch import Tensor

from zoo.data.binary import BinaryVectorDataModule
from zoo.data.images import MNIST_SOURCE, load_mnist_images, mnist_images_path
from zoo.data.raw_files import DataFileError

VAL_SIZE = 10_000


def mnist_unit_vectors(root: str | None = None, split: str = "train") -> Tensor:
    """``(N, 784)`` float grey levels in [0, 1] for ``split`` in train / val / test (see module docstring)."""
    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
    images = load_mnist_images(root, "test" if split == "test" else "train").flatten(1).float() / 255.0
    if split != "test" and len(images) <= VAL_SIZE:
        raise DataFileError(f"{mnist_images_path(root, 'train')} holds {len(images)} images; the train and val "
                            f"splits need more than {VAL_SIZE:,} (MNIST's has 60,000). Download it again from "
                            f"{MNIST_SOURCE}")
    if split == "train":
        return images[:-VAL_SIZE]
    if split == "val":
        return images[-VAL_SIZE:]
    return images


class BinarizedMNISTDataModule(BinaryVectorDataModule):
    def __init__(self, root: str | None = None, batch_size: int = 100, num_workers: int = 0,
                 stochastic_binarization: bool = True):
        super().__init__(root, batch_size, num_workers, stochastic_binarization)

    def load_splits(self) -> dict[str, Tensor]:
        return {s: mnist_unit_vectors(self.root, s) for s in ("train", "val", "test")}
