"""Binary-vector datasets for the Bernoulli adversarial autoencoder: one datamodule shape for all of them.

A subclass implements :meth:`BinaryVectorDataModule.load_splits`, returning float tensors of 0/1 (or, for
MNIST, of intensities in [0, 1] that are binarized on the fly) for ``train``, ``val`` and ``test``. Batches are
plain ``(B, D)`` float tensors.
"""

from __future__ import annotations

import torch
from lightning.pytorch import LightningDataModule
from torch import Tensor
from torch.utils.data import DataLoader, Dataset


class _Rows(Dataset):
    """Rows of a tensor; with ``stochastic=True`` each row is re-binarized at every access (x ~ Bern(row))."""

    def __init__(self, rows: Tensor, stochastic: bool = False):
        self.rows, self.stochastic = rows, stochastic

    def __len__(self) -> int:
        return self.rows.shape[0]

    def __getitem__(self, index: int) -> Tensor:
        row = self.rows[index].float()
        return torch.bernoulli(row) if self.stochastic else row


class BinaryVectorDataModule(LightningDataModule):
    """Base class. ``stochastic_binarization``: resample the training vectors as Bernoulli(intensity) each epoch
    (for MNIST grey levels; a no-op on data that is already 0/1)."""

    def __init__(self, root: str | None = None, batch_size: int = 100, num_workers: int = 0,
                 stochastic_binarization: bool = False):
        super().__init__()
        self.root, self.batch_size, self.num_workers = root, batch_size, num_workers
        self.stochastic_binarization = stochastic_binarization
        self.splits: dict[str, Tensor] | None = None

    def load_splits(self) -> dict[str, Tensor]:
        raise NotImplementedError

    def setup(self, stage: str | None = None) -> None:
        if self.splits is None:
            self.splits = self.load_splits()

    def split(self, name: str) -> Tensor:
        self.setup()
        return self.splits[name]

    def _loader(self, name: str, train: bool) -> DataLoader:
        rows = _Rows(self.split(name), stochastic=self.stochastic_binarization and train)
        return DataLoader(rows, batch_size=self.batch_size, shuffle=train, drop_last=train,
                          num_workers=self.num_workers)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val", False)

    def test_dataloader(self) -> DataLoader:
        return self._loader("test", False)
