"""The one documented data root.

Resolution: an explicit argument (``--data.root`` in recipes, ``--data-root`` for ``zoo eval``), else
``$ZOO_DATA_ROOT``, else ``~/.cache/zoo/data`` (``$XDG_CACHE_HOME/zoo/data``). Under it the standard raw
layouts are expected (``MNIST/raw``, ``Planetoid/Cora/raw``, ``celeba/img_align_celeba``, ``qm9/qm9.csv.gz`` ...),
which ``zoo data get NAME`` (:mod:`zoo.data.catalog`) fills from each dataset's source, and which a loader
fills on first use when a file is missing.
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
    """Return ``path`` if it exists. Else, when it is a file of a dataset the zoo can download
    (:mod:`zoo.data.catalog`), fetch that dataset first (off with ``ZOO_DATA_DOWNLOAD=0``); if that is not
    possible or fails, raise a :class:`DataNotFoundError` that says where to get it and why the download failed."""
    if path.exists():
        return path
    from zoo.data.catalog import fetch_missing
    from zoo.data.download import DownloadError

    try:
        if fetch_missing(path):
            return path
        failed = ""
    except DownloadError as err:
        failed = f" The download failed: {err}."
    raise DataNotFoundError(f"{what} not found: expected {path}.{failed} Get it from {source} (or with "
                            f"`zoo data get`) and place it there, {ROOT_HINT}.")


def cache_dir(*parts: str) -> Path:
    """A writable folder for processed data; see :func:`zoo.io.cache_dir` (kept here for old imports)."""
    from zoo.io import cache_dir as _cache_dir

    return _cache_dir(*parts)
