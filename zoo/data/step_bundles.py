"""Training batches in bundles of ``k``, for a system that runs ``k`` optimiser steps per Lightning step
(``steps_per_execution``, :mod:`zoo.systems.steps_per_execution`, which explains why). The datamodules the systems with
that option train on return :func:`training_batches` from ``train_dataloader``."""

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


def training_batches(loader: Iterable, trainer: Any) -> Iterable:
    """The training loader as the module ``trainer`` trains takes it: ``loader`` in :class:`StepBundles` of the
    module's ``steps_per_execution`` when that is above 1, else ``loader`` itself (also when there is no trainer
    or module yet). A datamodule's ``train_dataloader`` returns this, so that a system asks for bundles by its own
    hyper-parameter alone, with nothing set on the datamodule or the trainer."""
    module = getattr(trainer, "lightning_module", None)
    k = getattr(module, "steps_per_execution", 1)
    return StepBundles(loader, k) if k > 1 else loader
