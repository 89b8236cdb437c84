"""Planetoid citation graphs (Cora, CiteSeer) with the public split of Yang et al. (2016):
20 labelled nodes per class for training, 500 for validation, 1,000 for testing.

Reads ``<root>/Planetoid/<Name>/raw/ind.<name>.*`` (the layout of ``torch_geometric.datasets.Planetoid``) with
:mod:`zoo.data.planetoid_raw`, which never unpickles them with a general unpickler: the raw files are input the
zoo did not write. Missing raw files of Cora and CiteSeer are downloaded and sha256-verified on first use
(:func:`zoo.data.root.require_path`, :mod:`zoo.data.catalog`); PubMed's must be in place. Without them, a
:class:`~zoo.data.root.DataNotFoundError` names the expected files and why the download failed.
Features are row-normalised, as in Kipf & Welling (2017). Nothing is cached: Cora reads in a tenth of a second.
"""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
import torch
from torch_geometric.data import Data

from zoo.data.device import ResidentBatches
from zoo.data.planetoid_raw import FIELDS, read_planetoid
from zoo.data.root import data_root, require_path

NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
SOURCE = "https://github.com/kimiyoung/planetoid (raw/ind.<name>.* files)"


def canonical_name(name: str) -> str:
    try:
        return NAMES[name.lower()]
    except KeyError:
        raise ValueError(f"unknown Planetoid dataset {name!r}; choose one of {sorted(NAMES.values())}") from None


def load_planetoid(name: str, root: str | Path | None = None) -> Data:
    """Return the whole graph (one ``Data`` with train/val/test masks) of ``name`` under the data root."""
    from torch_geometric.transforms import NormalizeFeatures

    name = canonical_name(name)
    raw = data_root(root) / "Planetoid" / name / "raw"
    missing = [f for f in FIELDS if not (raw / f"ind.{name.lower()}.{f}").is_file()]
    if missing:  # fetches the dataset (Cora, CiteSeer) through zoo.data.catalog, or raises DataNotFoundError
        require_path(raw / f"ind.{name.lower()}.{missing[0]}", f"Planetoid {name}", SOURCE)
    return NormalizeFeatures()(read_planetoid(raw, name))


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
