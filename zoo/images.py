"""Renamed :mod:`zoo.image_grid` (image grids; the image datasets are :mod:`zoo.data.images`).

An alias for the importers not yet moved (``zoo/cli.py``, ``zoo/systems/gan.py``, ``bench/gan/diagnose_minimax.py``);
delete it once they import :mod:`zoo.image_grid`.
"""

from zoo.image_grid import make_grid, save_grid, to_uint8

__all__ = ["make_grid", "save_grid", "to_uint8"]
