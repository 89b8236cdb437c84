"""Planetoid citation graphs (Cora, CiteSeer) with the public split of Yang et al. (2016):
20 labelled nodes per class for training, 500 for validation, 1,000 for testing.

Reads ``<root>/Planetoid/<Name>/raw/ind.<name>.*`` (the layout of ``torch_geometric.datasets.Planetoid``) with
:mod:`zoo.data.planetoid_raw`, which never unpickles them with a general unpickler: the raw files are input the
zoo did not write. Missing raw files are downloaded from the Planetoid repository when the network is there;
without them and without network, a :class:`~zoo.data.root.DataNotFoundError` names the expected folder.
Features are row-normalised, as in Kipf & Welling (2017). Nothing is cached: Cora reads in a tenth of a second.
"""

from __future__ import annotations

import shutil
import urllib.request
from pathlib import Path

import lightning.pytorch as pl
import torch
from torch_geometric.data import Data

from zoo.data.device import ResidentBatches
from zoo.data.planetoid_raw import FIELDS, read_planetoid
from zoo.data.root import ROOT_HINT, DataNotFoundError, data_root
from zoo.io import atomic_path, first_line

NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
SOURCE = "https://github.com/kimiyoung/planetoid (raw/ind.<name>.* files)"
URL = "https://github.com/kimiyoung/planetoid/raw/master/data"  # torch_geometric's Planetoid.url
TIMEOUT_S = 60  # per connection and per read of a download
MAX_DOWNLOAD = 200 * 2**20  # bytes per raw file (PubMed's largest is under 40 MB)


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
    if missing and _fetched_verified(raw / f"ind.{name.lower()}.{missing[0]}"):
        missing = []
    if missing:
        _download(raw, name, missing)
    return NormalizeFeatures()(read_planetoid(raw, name))


def _fetched_verified(path: Path) -> bool:
    """The zoo's sha256-verified download (zoo.data.catalog: Cora and CiteSeer, honours $ZOO_DATA_MIRROR); on
    failure (or ZOO_DATA_DOWNLOAD=0, or PubMed) :func:`_download` below is tried and reports."""
    from zoo.data.catalog import fetch_missing
    from zoo.data.download import DownloadError

    try:
        return fetch_missing(path)
    except DownloadError:
        return False


def _download(raw: Path, name: str, fields: list[str]) -> None:
    """Fetch the missing raw files into ``raw``, each through a temporary sibling; if any fails, remove the
    folders this created (a mistyped data root included) and raise :class:`DataNotFoundError`."""
    created = next((p for p in (raw.parents[2], raw.parents[1], raw.parent, raw) if not p.exists()), None)
    try:
        raw.mkdir(parents=True, exist_ok=True)
        for field in fields:
            filename = f"ind.{name.lower()}.{field}"
            with urllib.request.urlopen(f"{URL}/{filename}", timeout=TIMEOUT_S) as response, \
                    atomic_path(raw / filename) as tmp:
                content = response.read(MAX_DOWNLOAD + 1)
                if len(content) > MAX_DOWNLOAD:
                    raise OSError(f"{filename} is over {MAX_DOWNLOAD:,} bytes")
                tmp.write_bytes(content)
    except OSError as err:  # offline, HTTP errors (urllib's are OSErrors), timeouts, a full disk
        if created is not None:
            shutil.rmtree(created, ignore_errors=True)
        raise DataNotFoundError(
            f"Planetoid {name} not found: expected {raw}/ind.{name.lower()}.{{{','.join(fields)}}} "
            f"and the download failed ({first_line(err)}). Get the raw files from {SOURCE}, {ROOT_HINT}."
        ) from err


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
