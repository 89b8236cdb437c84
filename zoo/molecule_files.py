"""Tables of molecules for ``zoo predict --input``: a CSV/TSV with a SMILES column, or a ``.smi`` file.

- ``.csv`` / ``.tsv`` (optionally ``.gz``): a header row; the SMILES column is the one named ``smiles`` in any
  case, or the one given (``smiles_column``). Every column is kept in the output.
- ``.smi`` / ``.smiles`` (optionally ``.gz``): one molecule a line, its SMILES, then optionally whitespace and a
  name (the format RDKit's ``SmilesMolSupplier`` and Open Babel read); columns ``smiles`` and ``name``. A first
  line whose first word is ``smiles`` (any case) is a header. Blank lines are skipped.

:func:`open_table` checks everything it can before anything is written (the file exists and decodes as UTF-8,
the header, the SMILES column), and :meth:`MoleculeTable.batches` streams the rows, so a file of any length is
read one batch at a time. A CSV row with more fields than the header gets a ``problem`` (its
columns cannot be trusted) instead of a prediction; a shorter row is filled with empty fields.
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import IO

TABLE_SUFFIXES = {".csv": ",", ".tsv": "\t"}
SMI_SUFFIXES = (".smi", ".smiles")


@dataclass
class Row:
    fields: list[str]  # the input columns, as read
    smiles: str
    problem: str = ""  # why this row cannot be predicted, found while reading


@dataclass
class MoleculeTable:
    path: Path
    columns: list[str]
    smiles_index: int
    delimiter: str | None  # None: a .smi file

    def open(self) -> IO[str]:
        opener = gzip.open if self.path.suffix == ".gz" else open
        return opener(self.path, "rt", encoding="utf-8-sig", newline="")

    def rows(self) -> Iterator[Row]:
        """Every molecule of the file, in order (the header skipped)."""
        with self.open() as f:
            if self.delimiter is None:
                yield from _smi_rows(f)
                return
            reader = csv.reader(f, delimiter=self.delimiter)
            next(reader, None)
            width = len(self.columns)
            for fields in reader:
                if not fields:
                    continue
                row = Row(fields[:width] + [""] * (width - len(fields)), fields[self.smiles_index]
                          if self.smiles_index < len(fields) else "")
                if len(fields) > width:  # a delimiter inside an unquoted field: the columns cannot be trusted
                    row.problem = (f"line {reader.line_num} has {len(fields)} fields, the header {width}; "
                                   "quote fields that hold the delimiter")
                yield row

    def batches(self, size: int) -> Iterator[list[Row]]:
        it = self.rows()
        while batch := list(islice(it, size)):
            yield batch

    def count(self) -> int:
        """The number of molecules (one pass over the file; it also proves the whole file decodes, so a bad byte
        is found before anything is written)."""
        try:
            return sum(1 for _ in self.rows())
        except UnicodeDecodeError as err:
            raise not_utf8(self.path, err) from None


def not_utf8(path: Path, err: UnicodeDecodeError) -> ValueError:
    return ValueError(f"{path} is not UTF-8 text ({err.reason} at byte {err.start}); save it as UTF-8")


def _smi_rows(f: IO[str]) -> Iterator[Row]:
    """SMILES, then a name after the first run of whitespace (a SMILES has none); blank lines skipped."""
    first = True
    for line in f:
        parts = line.split(maxsplit=1)
        if not parts:
            continue
        if first and parts[0].lower() == "smiles":  # a header
            first = False
            continue
        first = False
        yield Row([parts[0], parts[1].strip() if len(parts) > 1 else ""], parts[0])


def table_kind(path: Path) -> str | None:
    """``",``/``"\\t"`` for a CSV/TSV, ``"smi"`` for a SMILES file, None for anything else."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    return TABLE_SUFFIXES.get(last) or ("smi" if last in SMI_SUFFIXES else None)


def open_table(path: str | Path, smiles_column: str | None = None) -> MoleculeTable:
    """The table at ``path`` with its SMILES column found; a one-line ValueError/FileNotFoundError if not."""
    path = Path(path)
    kind = table_kind(path)
    if kind is None:
        raise ValueError(f"{path}: give a .csv or .tsv file with a SMILES column, or a .smi file (SMILES, then "
                         "an optional name, per line); .gz compressed works too")
    if path.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not path.is_file():
        raise FileNotFoundError(f"input file {path} not found")
    if kind == "smi":
        if smiles_column is not None:
            raise ValueError("--smiles-column applies to a CSV or TSV input; a .smi file has the SMILES first")
        return MoleculeTable(path, ["smiles", "name"], 0, None)
    table = MoleculeTable(path, [], 0, kind)
    try:
        with table.open() as f:
            header = next(csv.reader(f, delimiter=kind), None)
    except UnicodeDecodeError as err:
        raise not_utf8(path, err) from None
    if not header:
        raise ValueError(f"{path} is empty: expected a header row naming the columns, one of them SMILES")
    table.columns = header
    table.smiles_index = smiles_column_index(header, smiles_column, path)
    return table


def smiles_column_index(header: list[str], wanted: str | None, path: Path) -> int:
    """The index of ``wanted`` (exact, else in any case), or of the one column named ``smiles`` in any case."""
    if wanted is not None:
        exact = [i for i, name in enumerate(header) if name == wanted]
        loose = [i for i, name in enumerate(header) if name.strip().lower() == wanted.strip().lower()]
        found = exact or loose
        if len(found) != 1:
            raise ValueError(f"{path} has {'no' if not found else len(found)} column named {wanted!r} "
                             f"(columns: {', '.join(map(repr, header))})")
        return found[0]
    found = [i for i, name in enumerate(header) if name.strip().lower() == "smiles"]
    if len(found) != 1:
        raise ValueError(f"{path} has {'no' if not found else len(found)} column named SMILES (columns: "
                         f"{', '.join(map(repr, header))}); name it with --smiles-column NAME")
    return found[0]
