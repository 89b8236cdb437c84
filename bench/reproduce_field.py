"""The typed ``reproduce`` field of a registry entry (:class:`zoo.registry.Reproduce`) from the ``zoo train``
command a shipping script was given, parsed by ``zoo train``'s own argument parser, so a command the zoo would not
run can never reach a card."""

from __future__ import annotations

import shlex
from dataclasses import asdict
from typing import Any

from zoo.cli import build_parser
from zoo.registry import Reproduce


def reproduce_field(command: str, **fields: Any) -> dict[str, Any]:
    """``"zoo train recipes/gcn/cora.yaml --seed_everything=4"`` -> the entry's ``reproduce`` dict; ``fields`` add
    what the command does not say (``budget``, ``minutes``, ``made_by``). Environment assignments before ``zoo``
    (``OMP_NUM_THREADS=1``) are dropped: the hardware line of the card says how many threads ran."""
    words = shlex.split(command)
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]
    if words[:2] != ["zoo", "train"]:
        raise ValueError(f"not a `zoo train` command: {command!r}")
    args, overrides = build_parser().parse_known_args(words[1:])
    hardware = "gpu" if args.device in ("gpu", "cuda") else "cpu"
    run = Reproduce(recipe=args.recipe, overrides=tuple(overrides), hardware=hardware, precision=args.precision,
                    max_minutes=args.max_minutes, cpu_minutes=args.cpu_minutes, **fields)
    return asdict(run)
