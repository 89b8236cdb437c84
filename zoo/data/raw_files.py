"""Raw dataset files are input the zoo did not write: read them with one-line errors that name the file.

Every reader under ``zoo/data/`` that parses a downloaded file (CSV, gzip, IDX, text) goes through these helpers,
so a truncated archive, a wrong header, a short row or a missing value is a :class:`DataFileError` that names the
file, the rows and what to do, never an ``EOFError``, a ``KeyError`` or a silent NaN in the metrics.
"""

from __future__ import annotations

import csv
import gzip
import math
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

SHOWN_ROWS = 5  # an error lists this many bad rows, then the count of the others


class DataFileError(ValueError):
    """A dataset file that exists but cannot be used as it is (truncated, wrong header, missing values, too
    large); the message names the file and what is wrong."""


@contextmanager
def reading(path: Path, source: str) -> Iterator[None]:
    """Turn what a damaged file raises while it is read (gzip's ``EOFError`` and ``BadGzipFile``, ``zlib``
    errors, undecodable text, malformed CSV) into a :class:`DataFileError` naming ``path`` and ``source``."""
    try:
        yield
    except EOFError as err:
        raise DataFileError(f"{path} is truncated ({err}); download it again from {source}") from err
    except (gzip.BadGzipFile, zlib.error) as err:
        raise DataFileError(f"{path} is not a readable gzip file ({err}); download it again from {source}") from err
    except UnicodeDecodeError as err:
        raise DataFileError(f"{path} is not a text file (byte {err.start}: {err.reason}); download it again "
                            f"from {source}") from err
    except csv.Error as err:
        raise DataFileError(f"{path} is not a readable CSV file ({err}); download it again from {source}") from err


def open_text(path: Path) -> IO[str]:
    """``path`` as text, decompressed when its name ends in ``.gz``."""
    return gzip.open(path, "rt", newline="") if path.suffix == ".gz" else open(path, newline="")


def open_binary(path: Path) -> IO[bytes]:
    """``path`` as bytes, decompressed (lazily, as it is read) when its name ends in ``.gz``."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_exactly(f: IO[bytes], size: int, path: Path, what: str) -> bytes:
    """The next ``size`` bytes of ``f`` (``what`` they are, for the error); fewer means a truncated file. A gzip
    stream is decompressed only as far as that, so a small header cannot make the reader inflate gigabytes."""
    data = f.read(size)
    if len(data) != size:
        raise DataFileError(f"{path} is truncated: {what} needs {size} bytes, the file holds {len(data)}")
    return data


def rows_shown(lines: Sequence[int]) -> str:
    """``"lines 4, 9"`` or ``"lines 4, 9, 12, 15, 20 and 7 more"``."""
    shown = ", ".join(map(str, lines[:SHOWN_ROWS]))
    more = f" and {len(lines) - SHOWN_ROWS} more" if len(lines) > SHOWN_ROWS else ""
    return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"


@dataclass
class CsvTable:
    """The rows of a CSV file with the line of each (its last, for a quoted value spanning lines), for errors that
    name them."""

    path: Path
    source: str
    rows: list[dict[str, str]]
    lines: list[int]

    def floats(self, column: str) -> np.ndarray:
        """``column`` as float64; an empty, non-numeric, NaN or infinite value is a :class:`DataFileError`
        naming every such line, since one NaN target turns a whole evaluation into ``nan``."""
        values, bad = [], []
        for row, line in zip(self.rows, self.lines):
            try:
                value = float(row[column])
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                bad.append(line)
            values.append(value)
        if bad:
            raise DataFileError(f"{self.path}: column {column!r} holds no finite number on {rows_shown(bad)}; fix "
                                f"or remove those rows, or download the file again from {self.source}")
        return np.array(values, np.float64)


def read_csv(path: Path, required: Sequence[str], source: str, limit: int | None = None,
             max_rows: int = 1_000_000) -> CsvTable:
    """The rows of a CSV (plain or ``.gz``) whose header names every column in ``required``, first ``limit`` only
    if given. A missing column, a row with fewer fields than the header, a damaged file, or more than ``max_rows``
    rows (a file that is not the dataset, or a gzip bomb: rows are held in memory) is a :class:`DataFileError`
    that names the file (and the missing columns with the header expected)."""
    rows, lines = [], []
    with reading(path, source), open_text(path) as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            found = ",".join(header)
            found = found[:200] + " ..." if len(found) > 200 else found or "none"
            raise DataFileError(f"{path} has no column {', '.join(map(repr, missing))} (its header: {found}); "
                                f"expected a header naming {','.join(required)} (the file from {source})")
        for row in reader:
            if len(rows) == max_rows:
                raise DataFileError(f"{path} holds more than {max_rows:,} rows, more than the dataset has; it is not "
                                    f"the expected file. Download it again from {source}")
            if any(row.get(c) is None for c in required):
                raise DataFileError(f"{path}: line {reader.line_num} has fewer fields than the {len(header)} of "
                                    f"its header; the file is cut short or damaged. Download it again from {source}")
            rows.append(row)
            lines.append(reader.line_num)
            if limit is not None and len(rows) >= limit:
                break
    return CsvTable(path, source, rows, lines)


def check_size(path: Path, max_bytes: int, what: str) -> None:
    """Refuse a file larger than ``max_bytes`` before it is read (``what`` it should be, for the message)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise DataFileError(f"{path} holds {size:,} bytes, more than the {max_bytes:,} a {what} can need; it is "
                            "not that file. Replace it with the real one")


__all__ = ["CsvTable", "DataFileError", "check_size", "open_binary", "open_text", "read_csv",
           "read_exactly", "reading", "rows_shown"]
