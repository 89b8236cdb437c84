"""MACCS keys of MOSES molecules, as binary vectors for the adversarial autoencoder (cf. Kadurin et al. 2017).

RDKit's ``MACCSkeys.GenMACCSKeys`` returns 167 bits whose bit 0 is unused; we keep bits 1-166, the 166 public
MACCS keys (position ``i`` of a vector is MACCS key ``i + 1``). Molecules: a documented subset of MOSES train
(``train_size`` molecules drawn with ``subset_seed`` by :func:`zoo.data.smiles.moses_subset`) and of MOSES test.
Fingerprints are computed once and cached as packed bits in ``zoo.io.cache_dir("maccs")``, under a name
that includes the MOSES file's path and sha256 (:func:`zoo.io.source_key`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from zoo.data.binary import BinaryVectorDataModule
from zoo.data.root import data_root, require_path
from zoo.data.smiles import MOSES_SOURCE, moses_subset
from zoo.io import atomic_path, cache_dir, source_key

MACCS_BITS = 166


def maccs_keys(smiles: list[str]) -> np.ndarray:
    """``(N, 166)`` uint8 MACCS keys; a SMILES RDKit cannot parse gives an all-zero row (none in MOSES)."""
    from rdkit import Chem, DataStructs, RDLogger
    from rdkit.Chem import MACCSkeys

    RDLogger.DisableLog("rdApp.*")
    out = np.zeros((len(smiles), MACCS_BITS + 1), dtype=np.uint8)
    for i, s in enumerate(smiles):
        mol = Chem.MolFromSmiles(s)
        if mol is not None:
            DataStructs.ConvertToNumpyArray(MACCSkeys.GenMACCSKeys(mol), out[i])
    return out[:, 1:]


def moses_maccs(root: str | None = None, split: str = "train", n: int | None = 50_000, seed: int = 0) -> Tensor:
    """``(n, 166)`` float 0/1 MACCS keys of the MOSES subset ``(split, n, seed)``, cached on disk."""
    source = require_path(data_root(root) / "moses" / f"{split}.csv.gz", f"MOSES {split} split", MOSES_SOURCE)
    path = cache_dir("maccs") / f"moses-{split}-n{n}-seed{seed}-{source_key(source)}.npy"
    if path.is_file():
        bits = np.unpackbits(np.load(path, allow_pickle=False), axis=1)[:, :MACCS_BITS]
    else:
        bits = maccs_keys(moses_subset(root, split, n, seed))
        with atomic_path(path, suffix=".npy") as tmp:
            np.save(tmp, np.packbits(bits, axis=1))
    return torch.from_numpy(bits.astype(np.float32))


class MACCSDataModule(BinaryVectorDataModule):
    """Train/val from a MOSES-train subset (the last ``val_size`` of it are val), test from a MOSES-test subset."""

    def __init__(self, root: str | None = None, train_size: int = 50_000, val_size: int = 5_000,
                 test_size: int = 10_000, subset_seed: int = 0, batch_size: int = 128, num_workers: int = 0):
        super().__init__(root, batch_size, num_workers, stochastic_binarization=False)
        self.train_size, self.val_size, self.test_size = train_size, val_size, test_size
        self.subset_seed = subset_seed

    def load_splits(self) -> dict[str, Tensor]:
        train = moses_maccs(self.root, "train", self.train_size + self.val_size, self.subset_seed)
        test = moses_maccs(self.root, "test", self.test_size, self.subset_seed)
        return {"train": train[:-self.val_size], "val": train[-self.val_size:], "test": test}
