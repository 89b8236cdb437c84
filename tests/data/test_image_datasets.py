import gzip

import numpy as np
import pytest
import torch
from PIL import Image

from zoo.data.images import (
    FashionMNISTDataModule,
    ImageFolderDataModule,
    ImageFolderError,
    MNISTDataModule,
    load_face,
    read_idx,
)
from zoo.data.raw_files import DataFileError
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
    with pytest.raises(DataFileError, match="short.gz is truncated: the data of shape"):
        read_idx(tmp_path / "short.gz")
    with gzip.open(tmp_path / "bad.gz", "wb") as f:
        f.write(b"\x12\x34\x56\x78")
    with pytest.raises(DataFileError, match="magic"):
        read_idx(tmp_path / "bad.gz")


def test_a_truncated_archive_is_one_error_naming_the_file(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    path = raw / "train-images-idx3-ubyte.gz"
    write_idx(path, np.random.default_rng(0).integers(0, 255, (50, 28, 28)))
    path.write_bytes(path.read_bytes()[:-100])  # was an EOFError from gzip
    with pytest.raises(DataFileError, match=f"{path} is truncated .*download it again from .*fashion-mnist"):
        FashionMNISTDataModule(str(tmp_path)).setup()
    write_idx(path, np.zeros((3, 32, 32)))
    with pytest.raises(DataFileError, match=r"shape \(3, 32, 32\), not 28 x 28 images"):
        FashionMNISTDataModule(str(tmp_path)).setup()


def gzip_bomb(path, header_shape, zeros):
    """A gzip file: an IDX header of ``header_shape``, then ``zeros`` zero bytes (compressed ~1000:1)."""
    with gzip.GzipFile(path, "wb", compresslevel=9) as f:
        f.write(bytes([0, 0, 8, len(header_shape)]) + b"".join(s.to_bytes(4, "big") for s in header_shape))
        chunk = bytes(2**20)
        for _ in range(zeros // len(chunk)):
            f.write(chunk)


def test_a_header_promising_too_much_is_refused_before_decompressing(tmp_path):
    path = tmp_path / "bomb.gz"
    gzip_bomb(path, (60_000, 280, 280), zeros=2**20)  # 4.7 GB promised
    with pytest.raises(DataFileError, match=r"promises 4,704,000,000 bytes .* more than the 268,435,456"):
        read_idx(path)


def test_a_gzip_bomb_behind_a_small_header_is_read_only_as_far_as_the_header_says(tmp_path):
    import tracemalloc

    path = tmp_path / "bomb.gz"
    gzip_bomb(path, (10, 28, 28), zeros=64 * 2**20)  # 64 MB of zeros after 7,840 bytes of images
    tracemalloc.start()
    try:
        with pytest.raises(DataFileError, match="holds more data than its IDX header"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * 2**20, f"read_idx held {peak:,} bytes at once"


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


def test_an_image_too_large_to_decode_is_refused_from_its_header(tmp_path):
    Image.new("1", (6_000, 6_000)).save(tmp_path / "large.png")  # a few kB; 108 MB decoded to RGB
    with pytest.raises(ImageFolderError, match=r"large.png is 6000 x 6000 pixels, more than the 16,777,216"):
        load_face(tmp_path / "large.png")
    Image.new("1", (20_000, 20_000)).save(tmp_path / "bomb.png")  # over PIL's own limit: was a traceback
    with pytest.raises(ImageFolderError, match=r"cannot read image .*bomb.png: Image size \(400000000 pixels\)"):
        load_face(tmp_path / "bomb.png")


@pytest.mark.data
def test_real_celeba_subset(data_root):
    dm = ImageFolderDataModule(str(data_root), batch_size=4, limit=8)
    batch = next(iter(dm.train_dataloader()))
    assert batch.shape == (4, 3, 64, 64)
    assert dm.real_images(2).shape == (2, 3, 64, 64)
