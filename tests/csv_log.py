"""Write a run's CSV log the way Lightning's CSVLogger does, for tests of the code that reads it back."""

import csv
from pathlib import Path


def write_csv_log(path: Path, rows: list[dict]) -> None:
    """A CSVLogger ``metrics.csv``: one column per key (sorted), empty cells for keys not logged on a row."""
    keys = sorted({k for row in rows for k in row})
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        writer.writerows(rows)
