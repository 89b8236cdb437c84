import numpy as np
import pytest
import torch
from PIL import Image

from zoo.image_grid import make_grid, save_grid, to_uint8


def test_to_uint8_maps_the_tanh_range():
    assert to_uint8(torch.tensor([-1.0, 0.0, 1.0, 7.0])).tolist() == [0, 128, 255, 255]


def test_save_grid_writes_an_rgb_png_of_the_right_size(tmp_path):
    images = torch.linspace(-1, 1, 6 * 28 * 28).reshape(6, 1, 28, 28)
    path = save_grid(images, tmp_path / "sub" / "grid.png", nrow=3)
    with Image.open(path) as img:
        assert img.size == (3 * 30 + 2, 2 * 30 + 2) and img.mode == "RGB"
        pixels = np.asarray(img)
    assert (pixels[2:30, 2:30, 0] == make_grid(images, 3)[2:30, 2:30, 0]).all()
    assert not list(tmp_path.joinpath("sub").glob(".*"))  # no temporary file left behind


def test_save_grid_refuses_bad_input(tmp_path):
    with pytest.raises(ValueError, match="PNG"):
        save_grid(torch.zeros(1, 3, 8, 8), tmp_path / "grid.jpg")
    with pytest.raises(ValueError, match="C = 1 or 3"):
        save_grid(torch.zeros(1, 2, 8, 8), tmp_path / "grid.png")
