import gzip

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.data.images import ImageFolderDataModule, ImageFolderError, MNISTDataModule, load_face, read_idx
from zoo.data.root import DataNotFoundError


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_roundtrip_and_errors(tmp_path):
    array = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    write_idx(tmp_path / "a.gz", array)
    assert (read_idx(tmp_path / "a.gz") == array).all()
    with gzip.open(tmp_path / "short.gz", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + (10).to_bytes(4, "big") + b"abc")
    with pytest.raises(ValueError, match="truncated"):
        read_idx(tmp_path / "short.gz")
    with gzip.open(tmp_path / "bad.gz", "wb") as f:
        f.write(b"\x12\x34\x56\x78")
    with pytest.raises(ValueError, match="magic"):
        read_idx(tmp_path / "bad.gz")


def test_mnist_from_a_fake_root_and_missing_files(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    write_idx(raw / "train-images-idx3-ubyte.gz", np.full((10, 28, 28), 255))
    dm = MNISTDataModule(str(tmp_path), batch_size=4)
    batch = next(iter(dm.train_dataloader()))
    assert batch.shape == (4, 1, 28, 28) and batch.dtype == torch.float32 and (batch == 1).all()
    with pytest.raises(DataNotFoundError, match="t10k-images"):
        dm.real_images(5)


@pytest.mark.data
def test_real_mnist(data_root):
    dm = MNISTDataModule(str(data_root), batch_size=8, limit=64)
    batch = next(iter(dm.train_dataloader()))
    assert batch.shape == (8, 1, 28, 28) and batch.min() == -1 and batch.max() == 1
    assert dm.real_images(3).dtype == torch.uint8


def test_image_folder_crops_resizes_and_passes_precropped_through(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (218, 178, 3), dtype=np.uint8)).save(tmp_path / "a.jpg")
    small = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(small).save(tmp_path / "b.png")
    (tmp_path / "notes.txt").write_text("not an image")
    assert load_face(tmp_path / "a.jpg").shape == (3, 64, 64)
    assert (load_face(tmp_path / "b.png") == small.transpose(2, 0, 1)).all()  # unchanged
    dm = ImageFolderDataModule(folder=str(tmp_path), batch_size=2, preload_limit=10)
    batch = next(iter(dm.train_dataloader()))
    assert batch.shape == (2, 3, 64, 64) and batch.min() >= -1 and batch.max() <= 1
    lazy = ImageFolderDataModule(folder=str(tmp_path), batch_size=2, preload_limit=0, num_workers=0)
    assert next(iter(lazy.train_dataloader())).shape == (2, 3, 64, 64)


def test_image_folder_errors(tmp_path):
    with pytest.raises(ImageFolderError, match="holds no image files"):
        ImageFolderDataModule(folder=str(tmp_path)).setup()
    with pytest.raises(ImageFolderError, match="is not a folder"):
        ImageFolderDataModule(folder=str(tmp_path / "missing")).setup()
    (tmp_path / "broken.jpg").write_bytes(b"this is not a jpeg")
    with pytest.raises(ImageFolderError, match="broken.jpg"):
        ImageFolderDataModule(folder=str(tmp_path)).setup()


@pytest.mark.data
def test_real_celeba_subset(data_root):
    dm = ImageFolderDataModule(str(data_root), batch_size=4, limit=8)
    batch = next(iter(dm.train_dataloader()))
    assert batch.shape == (4, 3, 64, 64)
    assert dm.real_images(2).shape == (2, 3, 64, 64)
