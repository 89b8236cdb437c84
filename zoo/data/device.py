"""Datasets held on the training device and batched there: no per-step host collation or copy.

On a GPU the usual input path (a ``DataLoader`` collating on the CPU, then a host-to-device copy every step) is
what bounds small models: for the MPNN on QM9 PyG's per-step collation of 128 molecules costs more than the
network's forward and backward. Every dataset the zoo trains on fits in GPU memory (MNIST 47 MB as uint8, the
CelebA-64 subset 74 MB, QM9 about 0.2 GB as graphs, the MOSES subsets less), so a datamodule with
``device_resident=True`` moves its training set to the device once and hands Lightning one of these loaders:

- :class:`DeviceImageLoader`: a uint8 image tensor; each batch is a gather by a shuffled index and a conversion
  to ``[-1, 1]``, both on the device;
- :class:`DeviceGraphLoader`: a whole PyG dataset collated once into one big ``Batch``; each mini-batch of graphs
  is cut out of it by index arithmetic (the vectorised form of ``Batch.index_select``): for graphs
  :math:`g_1..g_B` with element counts :math:`n_{g}` (nodes, edges ...) starting at :math:`s_{g}`, the gather
  index is :math:`s_{g_b} + k` for :math:`k < n_{g_b}`, and incremented attributes (``edge_index``) are shifted
  from the old node offsets to the new ones. The index arithmetic runs on the CPU copy of the counts, so the
  loader never waits for the device; one small index tensor per attribute is copied per step.

Both shuffle with a generator seeded by ``seed + epoch`` (identical on every DDP rank, which then takes its own
stride of the permutation), drop the last partial batch when asked, and report ``len()`` like a DataLoader.
Lightning accepts any such iterable as a train loader; it finds the batches already on its device.

:class:`ResidentBatches` (a datamodule mixin) hands Lightning's ``transfer_batch_to_device`` a batch that is
already on the device unchanged: Lightning's default walks the batch and calls ``.to(device)`` on every attribute
of a PyG ``Batch`` (about 40 us per step on the build machine's CPU, for nothing) whether or not it is there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import Tensor

from zoo.data.step_bundles import StepBundle


def _permutation(n: int, shuffle: bool, seed: int, epoch: int) -> Tensor:
    if not shuffle:
        return torch.arange(n)
    generator = torch.Generator().manual_seed(seed + epoch)
    return torch.randperm(n, generator=generator)


class _EpochIndex:
    """Shuffled, rank-strided, batched indices ``0..n-1`` for one epoch (CPU tensors)."""

    def __init__(self, n: int, batch_size: int, shuffle: bool, drop_last: bool, seed: int, rank: int,
                 world_size: int):
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if n < world_size:
            raise ValueError(f"{n} items cannot be shared by {world_size} processes")
        self.n, self.batch_size, self.shuffle, self.drop_last = n, batch_size, shuffle, drop_last
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0

    def _per_rank(self) -> int:
        return self.n // self.world_size

    def __len__(self) -> int:
        per_rank = self._per_rank()
        return per_rank // self.batch_size if self.drop_last else -(-per_rank // self.batch_size)

    def batches(self) -> Iterator[Tensor]:
        order = _permutation(self.n, self.shuffle, self.seed, self.epoch)
        self.epoch += 1
        mine = order[self.rank::self.world_size][: self._per_rank()]
        for i in range(len(self)):
            yield mine[i * self.batch_size:(i + 1) * self.batch_size]


def _offsets(data_list: Sequence[Any], keys: Sequence[str],
             cat_dims: dict[str, int]) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Where each graph's elements start in the collated ``Batch`` (``G + 1`` offsets per attribute) and the
    increment PyG's collation added to each graph's values (``Data.__inc__`` summed over the graphs before it:
    the node offset for ``edge_index``, 0 for most attributes); attributes that are not tensors count one per graph."""
    slices, incs = {}, {}
    for key in keys:
        values = [data[key] for data in data_list]
        counts = [v.size(cat_dims[key]) if key in cat_dims else 1 for v in values]
        steps = [data.__inc__(key, v) for data, v in zip(data_list, values)]
        slices[key] = torch.tensor([0, *counts]).cumsum(0)
        step = torch.stack([torch.as_tensor(s) for s in steps]) if key in cat_dims else torch.zeros(len(values))
        incs[key] = torch.cat([torch.zeros_like(step[:1]), step[:-1]]).cumsum(0)
    return slices, incs


def _rank_and_world() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


class DeviceImageLoader:
    """Mini-batches of a uint8 image tensor ``(N, C, H, W)`` kept on ``device``, as float in ``[-1, 1]``.

    Args:
        images: uint8 images (moved to ``device`` once).
        batch_size, shuffle, drop_last: as in ``DataLoader``.
        device: where the images live and batches are made.
        seed: the shuffling seed (epoch ``e`` uses ``seed + e``).
    """

    def __init__(self, images: Tensor, batch_size: int, device: torch.device | str = "cpu", shuffle: bool = True,
                 drop_last: bool = True, seed: int = 0):
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ValueError(f"expected uint8 images (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        self.device = torch.device(device)
        self.images = images.to(self.device)
        rank, world = _rank_and_world()
        self.index = _EpochIndex(len(images), batch_size, shuffle, drop_last, seed, rank, world)

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[Tensor]:
        for idx in self.index.batches():
            batch = self.images.index_select(0, idx.to(self.device, non_blocking=True))
            yield batch.float().div_(127.5).sub_(1.0)


class DeviceGraphLoader:
    """Mini-batches of PyG graphs cut out of one device-resident collated ``Batch`` (see the module docstring).

    Args:
        graphs: a sequence of ``torch_geometric.data.Data`` (a Dataset or list); collated once.
        batch_size, shuffle, drop_last, device, seed: as in :class:`DeviceImageLoader`.
    """

    def __init__(self, graphs: Sequence[Any], batch_size: int, device: torch.device | str = "cpu",
                 shuffle: bool = True, drop_last: bool = False, seed: int = 0):
        from torch_geometric.data import Batch

        if len(graphs) == 0:
            raise ValueError("no graphs to load")
        self.device = torch.device(device)
        data_list = [graphs[i] for i in range(len(graphs))]
        whole = Batch.from_data_list(data_list)
        self.num_graphs = whole.num_graphs
        self.keys = [k for k in whole.keys() if k not in ("batch", "ptr")]
        self.values = {k: whole[k].to(self.device) if torch.is_tensor(whole[k]) else whole[k] for k in self.keys}
        self.cat_dims = {k: whole.__cat_dim__(k, whole[k]) for k in self.keys if torch.is_tensor(whole[k])}
        self.slices, self.incs = _offsets(data_list, self.keys, self.cat_dims)  # on the CPU
        self.node_slices = self.slices[self._node_key()]
        rank, world = _rank_and_world()
        self.index = _EpochIndex(self.num_graphs, batch_size, shuffle, drop_last, seed, rank, world)

    def __len__(self) -> int:
        return len(self.index)

    def __iter__(self) -> Iterator[Any]:
        for graph_ids in self.index.batches():
            yield self.batch_of(graph_ids)

    def batch_of(self, graph_ids: Tensor) -> Any:
        """The ``Batch`` of graphs ``graph_ids`` (CPU long tensor), equal to PyG's collation of those graphs."""
        from torch_geometric.data import Batch

        node_counts = self.node_slices[graph_ids + 1] - self.node_slices[graph_ids]
        new_node_offsets = torch.cumsum(node_counts, 0) - node_counts
        out: dict[str, Any] = {}
        for key in self.keys:
            value = self.values[key]
            if not torch.is_tensor(value):
                out[key] = [value[int(g)] for g in graph_ids] if isinstance(value, list) else value
                continue
            starts = self.slices[key][graph_ids]
            counts = self.slices[key][graph_ids + 1] - starts
            total = int(counts.sum())
            owner = torch.repeat_interleave(torch.arange(len(graph_ids)), counts, output_size=total)
            within = torch.arange(total) - torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts,
                                                                   output_size=total)
            gather = (starts[owner] + within).to(self.device, non_blocking=True)
            dim = self.cat_dims[key]
            picked = value.index_select(dim, gather)
            inc = self.incs[key]
            if inc.dim() > 0 and bool((inc != 0).any()):  # e.g. edge_index: shift to the new node offsets
                shift = (new_node_offsets - inc[graph_ids])[owner].to(self.device, non_blocking=True)
                shape = [1] * picked.dim()
                shape[dim] = -1
                picked = picked + shift.view(shape).to(picked.dtype)
            out[key] = picked
        n_nodes = int(node_counts.sum())
        batch_vector = torch.repeat_interleave(torch.arange(len(graph_ids)), node_counts, output_size=n_nodes)
        ptr = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(node_counts, 0)])
        # num_graphs is ptr's length - 1 (read without a device sync)
        return Batch(**out, batch=batch_vector.to(self.device, non_blocking=True),
                     ptr=ptr.to(self.device, non_blocking=True))

    def _node_key(self) -> str:
        """The attribute whose slices count nodes (``x``, else ``z``, else ``pos``)."""
        for key in ("x", "z", "pos"):
            if key in self.slices:
                return key
        raise ValueError(f"no node-level attribute (x, z or pos) among {self.keys}")


def on_device(batch: Any, device: torch.device) -> bool:
    """True when ``batch`` is a tensor, or a PyG ``Data``/``Batch`` whose tensors all are, on ``device`` (or a
    :class:`zoo.data.step_bundles.StepBundle` of those)."""
    if isinstance(batch, Tensor):
        return batch.device == device
    if isinstance(batch, StepBundle):
        return all(on_device(one, device) for one in batch)
    stores = getattr(batch, "stores", None)  # torch_geometric.data.Data / Batch, duck-typed
    if stores is None:
        return False
    return all(value.device == device for store in stores for value in store.values() if isinstance(value, Tensor))


class ResidentBatches:
    """Mixin for a ``LightningDataModule`` (first among the bases): a batch already on the training device is
    passed on as it is; any other batch is moved by Lightning's default."""

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        if on_device(batch, device):
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)


def device_of(trainer: Any) -> torch.device:
    """The device a Lightning trainer computes on (CPU when there is no trainer yet)."""
    if trainer is None:
        return torch.device("cpu")
    return trainer.strategy.root_device
