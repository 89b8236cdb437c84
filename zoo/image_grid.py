"""Image grids: tensors in [-1, 1] -> uint8 grids -> PNG files (written atomically) or W&B images.

``zoo sample ID --out grid.png`` and the GAN recipes' sample logging both go through :func:`make_grid`,
so what a user sees and what W&B shows are the same pixels. PIL and numpy only (no torchvision).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import torch
from torch import Tensor


def to_uint8(images: Tensor) -> Tensor:
    """Images in [-1, 1] (any float dtype, any device) -> uint8 in [0, 255] on the CPU, same shape."""
    return ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def make_grid(images: Tensor, nrow: int | None = None, padding: int = 2, pad_value: int = 0) -> np.ndarray:
    """``(N, C, H, W)`` images in [-1, 1] -> one ``(rows*H', nrow*W', 3)`` uint8 array (``nrow`` per row).

    Grayscale is repeated to RGB; ``nrow`` defaults to ``ceil(sqrt(N))``; cells are separated by ``padding``.
    """
    if images.dim() != 4 or images.shape[1] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"make_grid expects a non-empty (N, C, H, W) tensor with C = 1 or 3, "
                         f"got {tuple(images.shape)}")
    n, _, h, w = images.shape
    nrow = nrow or math.ceil(math.sqrt(n))
    if nrow < 1:
        raise ValueError(f"nrow must be positive, got {nrow}")
    ncol_rows = math.ceil(n / nrow)
    pixels = to_uint8(images).expand(n, 3, h, w).permute(0, 2, 3, 1).numpy()
    grid = np.full((ncol_rows * (h + padding) + padding, nrow * (w + padding) + padding, 3), pad_value, np.uint8)
    for i in range(n):
        r, col = divmod(i, nrow)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        grid[y:y + h, x:x + w] = pixels[i]
    return grid


def save_grid(images: Tensor, path: str | os.PathLike, nrow: int | None = None) -> Path:
    """Write ``images`` (``(N, C, H, W)`` in [-1, 1]) as a PNG grid at ``path`` atomically; return the path."""
    return write_png(make_grid(images, nrow), path)


def write_png(grid: np.ndarray, path: str | os.PathLike) -> Path:
    """Write a uint8 grid from :func:`make_grid` as a PNG at ``path`` atomically; return the path."""
    from PIL import Image

    from zoo.io import atomic_path

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"image grids are written as PNG files; give a path ending in .png, got {path}")
    with atomic_path(path, suffix=".png") as tmp:  # world-readable, never half-written
        Image.fromarray(grid).save(tmp, format="PNG")
    return path
