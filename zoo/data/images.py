"""Image datasets for the GANs: MNIST and Fashion-MNIST (gzipped IDX files) and image folders (CelebA).

Every image comes out as a float tensor ``(C, H, W)`` in [-1, 1] (the generator's tanh range). PIL and
numpy only (no torchvision).

- MNIST / Fashion-MNIST: ``<root>/MNIST/raw/{train,t10k}-images-idx3-ubyte.gz`` (the torchvision layout), read
  with :func:`read_idx`. Labels are not needed by the GANs and are not read.
- Image folders: every ``.jpg/.jpeg/.png/.bmp/.webp`` file under ``<root>/<folder>`` (sorted by path), with the
  usual CelebA-64 preprocessing (DCGAN-tensorflow, and the GAN papers after it): a centered ``crop_size`` x
  ``crop_size`` box (108 px on the 178x218 aligned faces), then a resize to ``image_size`` with PIL's bicubic
  filter (which anti-aliases when shrinking). Images that are already ``image_size`` x ``image_size`` are taken
  as they are, so a pre-cropped folder (``python -m bench.device.pack``) gives the same pixels. Small folders
  (up to ``preload_limit`` images, e.g. the 6,000-face subset) are decoded once into memory; larger ones
  (the full 202,599-image CelebA) are decoded lazily by the DataLoader workers, so the same recipe runs on both.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from lightning.pytorch import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader, Dataset

from zoo.data.step_bundles import training_batches
from zoo.data.raw_files import DataFileError, open_binary, read_exactly, reading
from zoo.data.root import data_root, require_path

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MNIST_SOURCE = "http://yann.lecun.com/exdb/mnist/ (the four .gz files, torchvision's MNIST/raw layout)"
FASHION_SOURCE = "https://github.com/zalandoresearch/fashion-mnist (the four .gz files, FashionMNIST/raw)"
CELEBA_SOURCE = "https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html (Align&Cropped images, img_align_celeba/)"


MAX_IMAGE_PIXELS = 4096 * 4096  # refused before decoding (64 MB of RGB); PIL's own bomb limit is 5x larger


class ImageFolderError(ValueError):
    """An image folder that is empty or holds a file PIL cannot read; the message names it."""


MAX_IDX_BYTES = 256 * 2**20  # an IDX body larger than this is refused unread (MNIST's train images: 47 MB)


def read_idx(path: str | Path, source: str = MNIST_SOURCE, max_bytes: int = MAX_IDX_BYTES) -> np.ndarray:
    """Read an unsigned-byte IDX file (``.gz`` or plain): magic ``0 0 8 ndim``, big-endian sizes, then the data.

    The header is read first and the body's size checked against ``max_bytes`` before anything else is read or
    decompressed; then exactly that many bytes are read, and one more to make sure the file ends there. So a
    gzip bomb (a small header followed by gigabytes of zeros, or a header promising gigabytes) costs at most
    ``max_bytes`` of memory, and a truncated or damaged file is a one-line
    :class:`~zoo.data.raw_files.DataFileError` naming it (with ``source``, where to get it again).
    """
    path = Path(path)
    with reading(path, source), open_binary(path) as f:
        magic = read_exactly(f, 4, path, "the IDX magic number")
        if magic[:3] != bytes([0, 0, 8]):
            raise DataFileError(f"{path} is not an unsigned-byte IDX file (bad magic number {magic!r}); "
                                f"download it again from {source}")
        header = read_exactly(f, 4 * magic[3], path, f"an IDX header of {magic[3]} sizes")
        shape = tuple(int.from_bytes(header[4 * i: 4 * i + 4], "big") for i in range(magic[3]))
        size = math.prod(shape)
        if size > max_bytes:
            raise DataFileError(f"{path}: its IDX header promises {size:,} bytes of data {shape}, more than the "
                                f"{max_bytes:,} this reader accepts; it is not the expected file. Download it "
                                f"again from {source}")
        body = read_exactly(f, size, path, f"the data of shape {shape}")
        if f.read(1):
            raise DataFileError(f"{path} holds more data than its IDX header {shape} promises; it is not the "
                                f"expected file. Download it again from {source}")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def to_unit_range(images: Tensor) -> Tensor:
    """uint8 ``[0, 255]`` -> float ``[-1, 1]``."""
    return images.float().div(127.5).sub(1.0)


def load_mnist_images(root: str | None = None, split: str = "train", dataset: str = "MNIST") -> Tensor:
    """uint8 tensor ``(N, 1, 28, 28)`` of the MNIST (or ``dataset="FashionMNIST"``) ``train`` or ``test`` split."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    if dataset not in ("MNIST", "FashionMNIST"):
        raise ValueError(f"dataset must be 'MNIST' or 'FashionMNIST', got {dataset!r}")
    path = mnist_images_path(root, split, dataset)
    source = _source(dataset)
    images = read_idx(path, source)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DataFileError(f"{path} holds data of shape {images.shape}, not 28 x 28 images; download it again "
                            f"from {source}")
    return torch.from_numpy(images.copy()).unsqueeze(1)


def mnist_images_path(root: str | None = None, split: str = "train", dataset: str = "MNIST") -> Path:
    """The gzipped IDX file of a split's images (a clear error when it is missing)."""
    name = "train-images-idx3-ubyte.gz" if split == "train" else "t10k-images-idx3-ubyte.gz"
    return require_path(data_root(root) / dataset / "raw" / name, f"{dataset} {split} images", _source(dataset))


def _source(dataset: str) -> str:
    return MNIST_SOURCE if dataset == "MNIST" else FASHION_SOURCE


class _UnitRangeImages(Dataset):
    """uint8 images kept in memory, returned as float in [-1, 1] (4x less memory than storing floats)."""

    def __init__(self, images: Tensor):
        self.images = images

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Tensor:
        return to_unit_range(self.images[index])


def _device_loader(images: Tensor, batch_size: int, trainer) -> "DeviceImageLoader":
    from zoo.data.device import DeviceImageLoader, device_of

    return DeviceImageLoader(images, batch_size, device_of(trainer), shuffle=True, drop_last=True,
                             seed=torch.initial_seed() % 2**31)


class MNISTDataModule(LightningDataModule):
    """MNIST digits for unconditional generation: train split, 1x28x28 in [-1, 1].

    Args:
        root: data root (``$ZOO_DATA_ROOT`` by default).
        batch_size: images per step.
        num_workers: DataLoader workers (the data is in memory; 0 is fine).
        limit: use only the first ``limit`` training images (debug recipes and tests).
        device_resident: keep the uint8 images on the training device and batch them there
            (:class:`zoo.data.device.DeviceImageLoader`; GPU speed).
    """

    dataset = "MNIST"
    real_split = "test"  # the real side of FID: the first images of the test split

    def __init__(self, root: str | None = None, batch_size: int = 64, num_workers: int = 0,
                 limit: int | None = None, device_resident: bool = False):
        super().__init__()
        self.root, self.batch_size, self.num_workers, self.limit = root, batch_size, num_workers, limit
        self.device_resident = device_resident
        self.train_images: Tensor | None = None

    image_shape = (1, 28, 28)

    def setup(self, stage: str | None = None) -> None:
        if self.train_images is None:
            images = load_mnist_images(self.root, "train", self.dataset)
            self.train_images = images[: self.limit] if self.limit else images

    def train_dataloader(self) -> Iterable:
        self.setup()
        if self.device_resident:
            loader = _device_loader(self.train_images, self.batch_size, self.trainer)
        else:
            loader = DataLoader(_UnitRangeImages(self.train_images), batch_size=self.batch_size, shuffle=True,
                                drop_last=True, num_workers=self.num_workers, persistent_workers=self.num_workers > 0)
        return training_batches(loader, self.trainer)  # bundles for a system's steps_per_execution > 1

    def source_path(self, split: str = "test") -> Path:
        """The file ``real_images(split=split)`` reads: what keys the FID cache of the real features."""
        return mnist_images_path(self.root, split, self.dataset)

    def real_images(self, n: int, split: str = "test") -> Tensor:
        """The first ``n`` uint8 images of ``split`` (the real side of FID)."""
        return load_mnist_images(self.root, split, self.dataset)[:n]


class FashionMNISTDataModule(MNISTDataModule):
    """Fashion-MNIST (Xiao et al. 2017), same layout and arguments as :class:`MNISTDataModule`."""

    dataset = "FashionMNIST"


def list_images(folder: Path) -> list[Path]:
    """Every image file under ``folder`` (recursively), sorted; a clear error when there is none."""
    if not folder.is_dir():
        raise ImageFolderError(f"{folder} is not a folder. Point --data.folder at a folder of images "
                               f"(CelebA: {CELEBA_SOURCE}).")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not files:
        raise ImageFolderError(f"{folder} holds no image files ({', '.join(IMAGE_EXTENSIONS)}). Put the images "
                               "there or point --data.folder at the right folder.")
    return files


def load_face(path: Path, image_size: int = 64, crop_size: int | None = 108) -> np.ndarray:
    """One image as uint8 ``(3, image_size, image_size)``: center crop ``crop_size`` (or the largest centered
    square when ``crop_size`` is None or larger than the image), then a bicubic resize. An image already of
    ``image_size`` x ``image_size`` is returned unchanged."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:  # reads the header only: the size is known before any pixel is decoded
            if img.width * img.height > MAX_IMAGE_PIXELS:
                raise ImageFolderError(f"{path} is {img.width} x {img.height} pixels, more than the "
                                       f"{MAX_IMAGE_PIXELS:,} an image of this folder may have (CelebA's are 178 x "
                                       "218). Remove or replace the file.")
            img = img.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as err:
        raise ImageFolderError(f"cannot read image {path}: {err}. Remove or replace the file.") from err
    w, h = img.size
    if (w, h) != (image_size, image_size):
        side = min(w, h) if crop_size is None else min(crop_size, w, h)
        left, top = (w - side) // 2, (h - side) // 2
        img = img.crop((left, top, left + side, top + side)).resize((image_size, image_size), Image.BICUBIC)
    return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).copy()


class _LazyFaces(Dataset):
    def __init__(self, files: list[Path], image_size: int, crop_size: int | None):
        self.files, self.image_size, self.crop_size = files, image_size, crop_size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> Tensor:
        return to_unit_range(torch.from_numpy(load_face(self.files[index], self.image_size, self.crop_size)))


class ImageFolderDataModule(LightningDataModule):
    """A folder of RGB images (CelebA aligned faces by default) as 3 x ``image_size`` x ``image_size`` in [-1, 1].

    Args:
        root: data root (``$ZOO_DATA_ROOT`` by default); ``folder`` is resolved under it unless absolute.
        folder: the image folder (default ``celeba/img_align_celeba``; works on the full CelebA unchanged).
        image_size: output side length (64).
        crop_size: side of the centered square crop before resizing (108 for aligned CelebA; None = largest).
        batch_size, num_workers: DataLoader settings (workers decode JPEGs when the folder is not preloaded).
        preload_limit: decode folders of at most this many images once into memory.
        limit: use only the first ``limit`` images (sorted by path).
        device_resident: keep the decoded images on the training device and batch them there (needs the folder
            to be preloaded: at most ``preload_limit`` images).
    """

    def __init__(self, root: str | None = None, folder: str = "celeba/img_align_celeba", image_size: int = 64,
                 crop_size: int | None = 108, batch_size: int = 64, num_workers: int = 2,
                 preload_limit: int = 30000, limit: int | None = None, device_resident: bool = False):
        super().__init__()
        self.device_resident = device_resident
        self.root, self.folder, self.image_size, self.crop_size = root, folder, image_size, crop_size
        self.batch_size, self.num_workers = batch_size, num_workers
        self.preload_limit, self.limit = preload_limit, limit
        self.train_set: Dataset | None = None

    real_split = "train"  # an image folder has no test split: FID compares with its first images

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return (3, self.image_size, self.image_size)

    def path(self) -> Path:
        folder = Path(self.folder).expanduser()
        return folder if folder.is_absolute() else data_root(self.root) / folder

    def files(self) -> list[Path]:
        files = list_images(self.path())
        return files[: self.limit] if self.limit else files

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        files = self.files()
        if len(files) <= self.preload_limit:
            images = np.stack([load_face(f, self.image_size, self.crop_size) for f in files])
            self.train_set = _UnitRangeImages(torch.from_numpy(images))
        else:
            load_face(files[0], self.image_size, self.crop_size)  # fail now, not in a worker, if unreadable
            self.train_set = _LazyFaces(files, self.image_size, self.crop_size)

    def train_dataloader(self) -> Iterable:
        self.setup()
        if self.device_resident:
            if not isinstance(self.train_set, _UnitRangeImages):
                raise ValueError(f"device_resident needs the folder in memory, but it has more than "
                                 f"preload_limit={self.preload_limit} images; raise preload_limit or set "
                                 "device_resident to false")
            loader = _device_loader(self.train_set.images, self.batch_size, self.trainer)
        else:
            workers = 0 if isinstance(self.train_set, _UnitRangeImages) else self.num_workers
            loader = DataLoader(self.train_set, batch_size=self.batch_size, shuffle=True, drop_last=True,
                                num_workers=workers, persistent_workers=workers > 0)
        return training_batches(loader, self.trainer)  # bundles for a system's steps_per_execution > 1

    def source_path(self, split: str = "train") -> Path:
        """The folder ``real_images`` reads: what keys the FID cache of the real features."""
        return self.path()

    def real_images(self, n: int, split: str = "train") -> Tensor:
        """The first ``n`` images (sorted by path) as uint8: the real side of FID (the folder has no test split)."""
        files = list_images(self.path())[:n]
        return torch.from_numpy(np.stack([load_face(f, self.image_size, self.crop_size) for f in files]))


__all__ = ["FashionMNISTDataModule", "ImageFolderDataModule", "ImageFolderError", "MNISTDataModule",
           "load_face", "load_mnist_images", "read_idx"]
