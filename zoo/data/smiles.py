"""MOSES SMILES strings (Polykovskiy et al., "Molecular Sets (MOSES)", Front. Pharmacol. 2020).

Files: ``<root>/moses/{train,test,test_scaffolds}.csv.gz``, a CSV with one ``SMILES`` column (1,584,663 /
176,074 / 176,225 molecules). The characters of the whole MOSES train split are
fixed here (:data:`MOSES_CHARACTERS`, 26 characters, the ``characters`` argument of a ``SmilesAAE``; ``Cl``
and ``Br`` are two characters each, as in MOSES' CharVocab), so a model's vocabulary does not depend on which
subset it was trained on.

The datamodule yields batches of raw strings; the model tokenizes them (``SmilesAAE.encode_strings``), so the
vocabulary lives in one place: the model's config.
"""

from __future__ import annotations

import csv

import numpy as np
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader

from zoo.data.raw_files import open_text, reading
from zoo.data.root import data_root, require_path

MOSES_SOURCE = "the MOSES benchmark (https://github.com/molecularsets/moses, data/*.csv.gz; MIT)"
MOSES_CHARACTERS = "#()-123456=BCFHNOS[]clnors"
SPLITS = ("train", "test", "test_scaffolds")


def smiles_characters(smiles: list[str]) -> str:
    """The sorted distinct characters of ``smiles``: the ``characters`` argument of a ``SmilesAAE``."""
    return "".join(sorted(set("".join(smiles))))


def read_moses(root: str | None = None, split: str = "train") -> list[str]:
    """All SMILES of a MOSES split, in file order."""
    if split not in SPLITS:
        raise ValueError(f"MOSES split must be one of {SPLITS}, got {split!r}")
    path = require_path(data_root(root) / "moses" / f"{split}.csv.gz", f"MOSES {split} split", MOSES_SOURCE)
    with reading(path, MOSES_SOURCE), open_text(path) as f:  # a damaged archive: one line
        reader = csv.DictReader(f)
        if reader.fieldnames is None or "SMILES" not in reader.fieldnames:
            raise ValueError(f"{path} has no SMILES column (columns: {reader.fieldnames})")
        return [row["SMILES"] for row in reader]


def moses_subset(root: str | None = None, split: str = "train", n: int | None = None, seed: int = 0) -> list[str]:
    """``n`` molecules of a split drawn without replacement by a seeded permutation (all of it if ``n`` is None).

    The subset used by a recipe is therefore documented by ``(split, n, seed)`` alone.
    """
    smiles = read_moses(root, split)
    if n is None or n >= len(smiles):
        return smiles
    order = np.random.default_rng(seed).permutation(len(smiles))[:n]
    return [smiles[i] for i in sorted(order)]


def _collate_strings(batch: list[str]) -> list[str]:
    return list(batch)


class MosesSmilesDataModule(LightningDataModule):
    """Batches of SMILES strings from a documented subset of MOSES train; validation from MOSES test.

    Args:
        root: data root (``$ZOO_DATA_ROOT``).
        train_size: molecules drawn from MOSES train with ``subset_seed`` (None: all 1.58 M).
        val_size: molecules drawn from MOSES test for the validation loss.
        batch_size: MOSES AAE uses 512.
    """

    def __init__(self, root: str | None = None, train_size: int | None = 200_000, val_size: int = 2000,
                 subset_seed: int = 0, batch_size: int = 512, num_workers: int = 0):
        super().__init__()
        self.root, self.train_size, self.val_size = root, train_size, val_size
        self.subset_seed, self.batch_size, self.num_workers = subset_seed, batch_size, num_workers
        self.train: list[str] | None = None
        self.val: list[str] | None = None

    def setup(self, stage: str | None = None) -> None:
        if self.train is None:
            self.train = moses_subset(self.root, "train", self.train_size, self.subset_seed)
            self.val = moses_subset(self.root, "test", self.val_size, self.subset_seed)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(self.train, batch_size=self.batch_size, shuffle=True, drop_last=True,
                          collate_fn=_collate_strings, num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val, batch_size=self.batch_size, collate_fn=_collate_strings,
                          num_workers=self.num_workers)
