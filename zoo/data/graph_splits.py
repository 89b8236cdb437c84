"""A LightningDataModule base for graph datasets with named train/val/test splits, batched by PyG.

With the hyper-parameter ``device_resident`` (subclasses take it as an argument) every split is collated once
onto the training device and batched there (:class:`zoo.data.device.DeviceGraphLoader`) instead of by a
``DataLoader`` collating on the CPU every step: same batches, no per-step host work.
"""

from __future__ import annotations

from collections.abc import Iterable

from lightning.pytorch import LightningDataModule
from torch.utils.data import Dataset
from torch_geometric.loader import DataLoader

from zoo.data.step_bundles import training_batches
from zoo.data.device import ResidentBatches


class GraphSplitDataModule(ResidentBatches, LightningDataModule):
    """Subclasses implement :meth:`split_dataset` and save ``batch_size``, ``num_workers`` (and optionally
    ``device_resident`` and ``seed``) as hparams."""

    _device_loaders: dict

    def __init__(self) -> None:
        super().__init__()
        self._device_loaders = {}

    def split_dataset(self, split: str) -> Dataset:
        raise NotImplementedError

    def _loader(self, split: str, shuffle: bool = False):
        if self.hparams.get("device_resident"):
            if split not in self._device_loaders:
                from zoo.data.device import DeviceGraphLoader, device_of

                self._device_loaders[split] = DeviceGraphLoader(
                    self.split_dataset(split), self.hparams.batch_size, device_of(self.trainer), shuffle=shuffle,
                    seed=self.hparams.get("seed", 0))
            return self._device_loaders[split]
        workers = self.hparams.num_workers
        return DataLoader(self.split_dataset(split), batch_size=self.hparams.batch_size, shuffle=shuffle,
                          num_workers=workers, persistent_workers=workers > 0)

    def train_dataloader(self) -> Iterable:
        return training_batches(self._loader("train", shuffle=True), self.trainer)  # bundles for k > 1

    def val_dataloader(self) -> DataLoader:
        return self._loader("val")

    def test_dataloader(self) -> DataLoader:
        return self._loader("test")
