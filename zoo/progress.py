"""Progress of long work, the same way everywhere: a tqdm bar on an interactive terminal, and in a log (stderr
not a terminal) one line when a stage starts and one when it ends, so nothing floods a file or a CI log.

- :func:`stage`: work with a count (``bar.update(n)``);
- :func:`track`: a loop over items, one stage;
- :func:`step`: work with no count to show (two lines, terminal or log).

A description of None makes each of them silent, so a caller's ``progress`` option can be passed straight on."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class _Lines:
    """The log-file stand-in for a bar: counts silently; the stage's two lines come from :func:`stage`."""

    def __init__(self):
        self.n = 0

    def update(self, n: int = 1) -> None:
        self.n += n


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _count(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


@contextmanager
def stage(description: str | None, total: int | None, unit: str = "it") -> Iterator[Any]:
    """``with stage("inception features", 10_000, "img") as bar: bar.update(50)``: a bar on a terminal; in a log
    ``<description>: <total> <unit> ...`` then ``<description>: done, <n> <unit> in <seconds> s``."""
    if description is None:
        yield _Lines()
        return
    if sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(total=total, desc=description, unit=unit, file=sys.stderr, leave=False) as bar:
            yield bar
        return
    start = time.monotonic()
    _say(f"{description}: {_count(total)} {unit} ...")
    counter = _Lines()
    yield counter
    _say(f"{description}: done, {_count(counter.n)} {unit} in {time.monotonic() - start:.0f} s")


def track(items: Iterable[T], description: str | None, total: int | None = None, unit: str = "it") -> Iterator[T]:
    """``items`` one by one, as one :func:`stage` (``total``: ``len(items)`` when they have a length)."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)
    with stage(description, total, unit) as bar:
        for item in items:
            yield item
            bar.update(1)


@contextmanager
def step(description: str | None) -> Iterator[None]:
    """Work with no count to show (a cache being built, one call into a library): ``<description> ...`` when it
    starts and ``<description>: done in <seconds> s`` when it ends, on a terminal as in a log."""
    if description is None:
        yield
        return
    start = time.monotonic()
    _say(f"{description} ...")
    yield
    _say(f"{description}: done in {time.monotonic() - start:.0f} s")
