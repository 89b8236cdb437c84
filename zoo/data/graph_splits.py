"""A LightningDataModule base for graph datasets with named train/val/test splits, batched by PyG."""

from __future__ import annotations

from lightning.pytorch import LightningDataModule
from torch.utils.data import Dataset
from torch_geometric.loader import DataLoader


class GraphSplitDataModule(LightningDataModule):
    """Subclasses implement :meth:`split_dataset` and save ``batch_size`` and ``num_workers`` as hparams."""

    def split_dataset(self, split: str) -> Dataset:
        raise NotImplementedError

    def _loader(self, split: str, shuffle: bool = False) -> DataLoader:
        workers = self.hparams.num_workers
        return DataLoader(self.split_dataset(split), batch_size=self.hparams.batch_size, shuffle=shuffle,
                          num_workers=workers, persistent_workers=workers > 0)

    def train_dataloader(self) -> DataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")
