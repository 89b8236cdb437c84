"""Planetoid citation graphs (Cora, CiteSeer) with the public split of Yang et al. (2016):
20 labelled nodes per class for training, 500 for validation, 1,000 for testing.

Reads ``<root>/Planetoid/<Name>/raw/ind.<name>.*`` with ``torch_geometric.datasets.Planetoid`` directly (it
downloads them when they are missing and the network is there); without the raw files and without network, a
:class:`~zoo.data.root.DataNotFoundError` names the expected folder. Features are row-normalised, as in
Kipf & Welling (2017).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lightning.pytorch as pl
import torch
from torch_geometric.data import Data

from zoo.data.device import ResidentBatches
from zoo.data.root import ROOT_HINT, DataNotFoundError, data_root
from zoo.io import cache_dir, check_pickle, first_line, source_key

NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
# The raw files are Python 2 pickles of numpy arrays, a scipy CSR matrix, a list and a defaultdict (the graph);
# PyG unpickles them, so each is checked to import nothing else first (zoo.io.check_pickle).
PICKLE_GLOBALS = {"numpy ndarray", "numpy dtype", "numpy.core.multiarray _reconstruct",
                  "numpy._core.multiarray _reconstruct", "__builtin__ list", "builtins list",
                  "collections defaultdict", "scipy.sparse.csr csr_matrix", "scipy.sparse._csr csr_matrix",
                  "_codecs encode"}  # how Python 3 writes bytes into a protocol-2 pickle
RAW_FILES = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
SOURCE = "https://github.com/kimiyoung/planetoid (raw/ind.<name>.* files)"


def canonical_name(name: str) -> str:
    try:
        return NAMES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown Planetoid dataset {name!r}; choose one of {sorted(NAMES.values())}") from None


def load_planetoid(name: str, root: str | Path | None = None) -> Data:
    """Return the whole graph (one ``Data`` with train/val/test masks) of ``name`` under the data root."""
    from torch_geometric.datasets import Planetoid
    from torch_geometric.transforms import NormalizeFeatures

    name = canonical_name(name)
    raw = data_root(root) / "Planetoid" / name / "raw"
    # What a failed download must not leave behind: the folders it would create under the data root.
    created = next((p for p in (raw.parents[2], raw.parents[1], raw.parent, raw) if not p.exists()), None)
    for field in RAW_FILES:
        path = raw / f"ind.{name.lower()}.{field}"
        if field != "test.index" and path.is_file():
            check_pickle(path, PICKLE_GLOBALS, f"Planetoid raw file ({SOURCE})")
    base = _writable_base(raw, name)
    try:
        dataset = Planetoid(str(base), name, split="public", transform=NormalizeFeatures())
    except Exception as err:  # PyG tries to download missing raw files; offline that fails deep in urllib
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        if base != raw.parent.parent:
            shutil.rmtree(base, ignore_errors=True)  # a half-processed mirror must not be reused
        missing = [f for f in RAW_FILES if not (raw / f"ind.{name.lower()}.{f}").is_file()]
        if missing:
            raise DataNotFoundError(
                f"Planetoid {name} not found: expected {raw}/ind.{name.lower()}.{{{','.join(missing)}}} "
                f"and the download failed ({first_line(err)}). Get the raw files from {SOURCE}, {ROOT_HINT}."
            ) from err
        raise
    return dataset[0]


def _writable_base(raw: Path, name: str) -> Path:
    """PyG writes ``processed/`` beside ``raw/``. The data root is treated as read-only (it is, in CI), so the
    raw files are mirrored into the zoo's cache with symlinks and PyG processes there.

    The mirror is named after the raw files' resolved path and sha256 (:func:`zoo.io.source_key`): another
    data root, or edited raw files, get their own mirror and their own ``processed/``, so an evaluation can
    never be answered from a graph processed from other data."""
    if not raw.is_dir() or not any(raw.iterdir()):
        return raw.parent.parent  # let PyG download into the data root when the network is there
    mirror = cache_dir("Planetoid", f"{name}-{source_key(raw)}", name, "raw")
    for source in raw.iterdir():
        link = mirror / source.name
        if not link.is_symlink():
            link.symlink_to(source.resolve())
    return mirror.parent.parent


class _FullGraph(torch.utils.data.Dataset):
    """One-item dataset: full-batch training feeds the whole graph at every step."""

    def __init__(self, data: Data):
        self.data = data

    def __len__(self) -> int:
        return 1

    def __getitem__(self, index: int) -> Data:
        return self.data


class PlanetoidDataModule(ResidentBatches, pl.LightningDataModule):
    """Full-batch node classification on a Planetoid graph.

    Args:
        name: "Cora" or "CiteSeer" ("PubMed" when its raw files are present).
        root: the data root (default: ``$ZOO_DATA_ROOT`` or ``~/.cache/zoo/data``).
    """

    def __init__(self, name: str = "Cora", root: str | None = None):
        super().__init__()
        self.name = canonical_name(name)
        self.root = root
        self.data: Data | None = None

    def prepare_data(self) -> None:
        load_planetoid(self.name, self.root)  # processes (or fails clearly) once, before DDP workers start

    def setup(self, stage: str | None = None) -> None:
        if self.data is None:
            self.data = load_planetoid(self.name, self.root)

    @property
    def num_features(self) -> int:
        self.setup()
        return self.data.num_features

    @property
    def num_classes(self) -> int:
        self.setup()
        return int(self.data.y.max()) + 1

    def _loader(self):
        return torch.utils.data.DataLoader(_FullGraph(self.data), batch_size=None, shuffle=False)

    def train_dataloader(self):
        return self._loader()

    def val_dataloader(self):
        return self._loader()

    def test_dataloader(self):
        return self._loader()
