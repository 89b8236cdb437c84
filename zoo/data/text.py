"""20 Newsgroups as binary bags of words (NVDM preprocessing of Miao et al. 2016).

Files under ``<root>/20news/``: ``train.feat`` (11,259 documents) and ``test.feat`` (7,488), one document a
line ``<label> <id>:<count> ...`` (the label is always 1), ids **1-based** into ``vocab.new`` (1,995 lines of
``<word> <count>``; line 1 is id 1). A document becomes a 0/1 presence vector over the vocabulary. Empty
documents (one per split) are kept in the raw reader and dropped by the datamodule. ``val`` is the last
``val_size`` training documents.
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
from torch import Tensor

from zoo.data.binary import BinaryVectorDataModule
from zoo.data.raw_files import DataFileError, check_size, reading
from zoo.data.root import data_root, require_path

SOURCE = "the NVDM 20 Newsgroups release (Miao et al. 2016, https://github.com/ysmiao/nvdm, data/20news)"


MAX_FILE_BYTES = 64 * 2**20  # the real train.feat is 3.7 MB and vocab.new 20 kB; larger files are refused unread
MAX_CELLS = 2**28  # documents x vocabulary of one split's matrix: 1 GiB of float32 (the real train split: 22.5 M)
_ENTRY = re.compile(r"([0-9]+):([0-9]+)")


def read_text(path: Path) -> str:
    """The text of a raw 20 Newsgroups file, refused (one line naming it) when too large or not text."""
    check_size(path, MAX_FILE_BYTES, "20 Newsgroups file")
    with reading(path, SOURCE):
        return path.read_text()


def read_vocab(root: str | None = None) -> list[str]:
    path = require_path(data_root(root) / "20news" / "vocab.new", "20 Newsgroups vocabulary", SOURCE)
    words = [line.split()[0] for line in read_text(path).splitlines() if line.strip()]
    if not words:
        raise DataFileError(f"{path} holds no words; download it again from {SOURCE}")
    return words


def read_bag_of_words(path: Path, vocab_size: int) -> Tensor:
    """``(N, vocab_size)`` float 0/1 presence matrix of a ``.feat`` file; a bad entry raises a
    :class:`~zoo.data.raw_files.DataFileError` naming its line, and a matrix over :data:`MAX_CELLS` is refused
    before it is allocated."""
    documents = []  # the 0-based word ids of each non-empty line
    for n, line in enumerate(read_text(path).splitlines(), 1):
        parts = line.split()
        if parts:
            documents.append([_word_index(item, vocab_size, path, n) for item in parts[1:]])
    if not documents:
        raise DataFileError(f"{path} holds no documents; download it again from {SOURCE}")
    if len(documents) * vocab_size > MAX_CELLS:
        raise DataFileError(f"{path}: {len(documents):,} documents x {vocab_size:,} words is more than the "
                            f"{MAX_CELLS:,} cells this reader allocates; it is not the NVDM file. Download it again "
                            f"from {SOURCE}")
    rows = torch.zeros(len(documents), vocab_size)
    for row, words in zip(rows, documents):
        row[words] = 1.0
    return rows


def _word_index(item: str, vocab_size: int, path: Path, line: int) -> int:
    """The 0-based vocabulary index of one ``<id>:<count>`` entry."""
    match = _ENTRY.fullmatch(item)
    if match is None or not 1 <= int(match[1]) <= vocab_size:
        raise DataFileError(f"{path}:{line}: bad entry {item!r} (entries are <id>:<count>, ids are 1-based, "
                            f"<= {vocab_size})")
    return int(match[1]) - 1


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
        if len(train) <= self.val_size:
            raise ValueError(f"val_size {self.val_size} leaves no training documents (the train split has "
                             f"{len(train)}); choose a smaller val_size")
        return {"train": train[:-self.val_size], "val": train[-self.val_size:], "test": test}
