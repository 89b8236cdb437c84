"""Training batches in bundles of ``k``, for a system that runs ``k`` optimiser steps per Lightning step
(``steps_per_execution``, :mod:`zoo.systems.executions`, which explains why)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import Any


class StepBundle(list):
    """Consecutive training batches that one Lightning training step runs as one optimiser step each."""


class StepBundles:
    """The batches of ``loader`` in :class:`StepBundle` s of ``k`` (the last one may be shorter)."""

    def __init__(self, loader: Iterable, k: int):
        self.loader, self.k = loader, k

    def __iter__(self) -> Iterator[StepBundle]:
        batches = iter(self.loader)
        while bundle := StepBundle(itertools.islice(batches, self.k)):
            yield bundle

    def __len__(self) -> int:
        return math.ceil(len(self.loader) / self.k)  # type: ignore[arg-type]


def check_steps_per_execution(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"steps_per_execution must be a whole number of at least 1, not {k!r}")
    return k


def bundle_training_batches(datamodule: Any, k: int) -> None:
    """Make ``datamodule.train_dataloader()`` return its loader in bundles of ``k`` batches (``k > 1``)."""
    original = datamodule.train_dataloader
    if getattr(original, "bundles", None) is not None:  # already bundled (a second fit of the same objects)
        original = original.unbundled
    if k == 1:
        datamodule.train_dataloader = original
        return

    def train_dataloader() -> StepBundles:
        return StepBundles(original(), k)

    train_dataloader.bundles, train_dataloader.unbundled = k, original
    datamodule.train_dataloader = train_dataloader
