"""Progress of long work, the same way everywhere: a tqdm bar on an interactive terminal, and in a log (stderr
not a terminal) one line when a stage starts and one when it ends, so nothing floods a file or a CI log."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Lines:
    """The log-file stand-in for a bar: counts silently; the stage's two lines come from :func:`stage`."""

    def __init__(self):
        self.n = 0

    def update(self, n: int = 1) -> None:
        self.n += n


@contextmanager
def stage(description: str, total: int | None, unit: str = "it") -> Iterator[Any]:
    """``with stage("inception features", 10_000, "img") as bar: bar.update(50)``: a bar on a terminal; in a log
    ``<description>: <total> <unit> ...`` then ``<description>: done, <n> <unit> in <seconds> s``."""
    if sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False) as bar:
            yield bar
        return
    start = time.monotonic()
    print(f"{description}: {total if total is not None else '?'} {unit} ...", file=sys.stderr, flush=True)
    counter = _Lines()
    yield counter
    print(f"{description}: done, {counter.n} {unit} in {time.monotonic() - start:.0f} s", file=sys.stderr,
          flush=True)
