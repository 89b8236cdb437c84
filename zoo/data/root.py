"""The one documented data root.

Resolution: an explicit argument (``--data.root`` in recipes, ``--data-root`` for ``zoo eval``), else
``$ZOO_DATA_ROOT``, else ``~/.cache/zoo/data`` (``$XDG_CACHE_HOME/zoo/data``). Under it the standard raw
layouts are expected (``MNIST/raw``, ``Planetoid/Cora/raw``, ``celeba/img_align_celeba``, ``qm9/qm9.csv.gz`` ...).
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ZOO_DATA_ROOT"
# The end of every missing-data message: how to point elsewhere, in each command's spelling, and where the
# expected layouts are written down (the README's "Data" section; there is no other data README).
ROOT_HINT = (f"or point the data root elsewhere with ${ENV_VAR}, --data.root (zoo train) or --data-root "
             "(zoo eval); the Data section of the zoo's README.md lists every expected layout")


class DataNotFoundError(FileNotFoundError):
    """A dataset file or folder is missing under the data root; the message names the path and the source."""


def data_root(root: str | os.PathLike | None = None) -> Path:
    if root:
        return Path(root).expanduser()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "zoo" / "data"


def require_path(path: Path, what: str, source: str) -> Path:
    """Return ``path`` if it exists, else raise a :class:`DataNotFoundError` that says where to get it."""
    if not path.exists():
        raise DataNotFoundError(
            f"{what} not found: expected {path}. Get it from {source} and place it there, {ROOT_HINT}.")
    return path


def cache_dir(*parts: str) -> Path:
    """A writable folder for processed data; see :func:`zoo.io.cache_dir` (kept here for old imports)."""
    from zoo.io import cache_dir as _cache_dir

    return _cache_dir(*parts)
