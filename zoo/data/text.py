"""20 Newsgroups as binary bags of words (NVDM preprocessing of Miao et al. 2016).

Files under ``<root>/20news/``: ``train.feat`` (11,259 documents) and ``test.feat`` (7,488), one document a
line ``<label> <id>:<count> ...`` (the label is always 1), ids **1-based** into ``vocab.new`` (1,995 lines of
``<word> <count>``; line 1 is id 1). A document becomes a 0/1 presence vector over the vocabulary. Empty
documents (one per split) are kept in the raw reader and dropped by the datamodule. ``val`` is the last
``val_size`` training documents.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from zoo.data.binary import BinaryVectorDataModule
from zoo.data.root import data_root, require_path

SOURCE = "the NVDM 20 Newsgroups release (Miao et al. 2016, https://github.com/ysmiao/nvdm, data/20news)"


def read_vocab(root: str | None = None) -> list[str]:
    path = require_path(data_root(root) / "20news" / "vocab.new", "20 Newsgroups vocabulary", SOURCE)
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def read_bag_of_words(path: Path, vocab_size: int) -> Tensor:
    """``(N, vocab_size)`` float 0/1 presence matrix of a ``.feat`` file; a bad id raises with its line."""
    rows = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        row = torch.zeros(vocab_size)
        for item in parts[1:]:
            word, _, count = item.partition(":")
            index = int(word) - 1
            if not 0 <= index < vocab_size or not count:
                raise ValueError(f"{path}:{n}: bad entry {item!r} (ids are 1-based, <= {vocab_size})")
            row[index] = 1.0
        rows.append(row)
    return torch.stack(rows)


def load_20news(root: str | None = None, split: str = "train") -> Tensor:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    vocab = read_vocab(root)
    path = require_path(data_root(root) / "20news" / f"{split}.feat", f"20 Newsgroups {split} split", SOURCE)
    return read_bag_of_words(path, len(vocab))


class NewsgroupsDataModule(BinaryVectorDataModule):
    def __init__(self, root: str | None = None, batch_size: int = 100, num_workers: int = 0, val_size: int = 1000):
        super().__init__(root, batch_size, num_workers, stochastic_binarization=False)
        self.val_size = val_size

    def load_splits(self) -> dict[str, Tensor]:
        train, test = load_20news(self.root, "train"), load_20news(self.root, "test")
        train, test = train[train.sum(1) > 0], test[test.sum(1) > 0]
        return {"train": train[:-self.val_size], "val": train[-self.val_size:], "test": test}
