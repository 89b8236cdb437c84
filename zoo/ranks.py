"""Which process of a distributed run this is, read from the environment: for code that runs before or without a
Lightning ``Trainer`` (``zoo train``'s run folder and lock, :func:`zoo.hub.load_state_into`'s line). Inside a run,
the Trainer's own ``trainer.is_global_zero`` says the same."""

from __future__ import annotations

import os

RANK_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK")  # torchrun sets the first two, Lightning's launcher the last two


def is_rank_zero() -> bool:
    """True in the first process of a run, and in a plain single process: every rank variable is 0 or unset."""
    return all(int(os.environ.get(name, "0")) == 0 for name in RANK_VARIABLES)
