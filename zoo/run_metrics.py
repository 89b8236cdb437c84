"""A training run's logged metrics, kept beside a checkpoint as ``metrics.csv`` (drawn as the card's curves).

``metrics.csv`` is long-format CSV, one logged value a row::

    step,epoch,metric,value
    49,0,train/generator,5.4176

``step`` is Lightning's ``trainer/global_step``; ``epoch`` may be empty. At most :data:`MAX_POINTS` rows are
kept per metric (evenly thinned, first and last kept), so the file stays a few tens of KB.

Where the rows come from: every ``zoo train`` run logs through Lightning's ``WandbLogger``, which (online or
offline) writes a ``run-<id>.wandb`` file under ``<run>/wandb/``. :func:`metrics_from_wandb` reads those files
directly; they are a LevelDB-style log (32 KiB blocks of records ``crc32c:4 | length:2 | type:1 | data``,
types FULL/FIRST/MIDDLE/LAST, after a 7-byte ``:W&B`` header) of ``wandb_internal_pb2.Record`` messages, and
the ``history`` records are what ``wandb.log`` received. No W&B account or network is involved.
"""

from __future__ import annotations

import csv
import io
import json
import math
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

METRICS_NAME = "metrics.csv"
MAX_POINTS = 300
_BLOCK = 32768
_HEADER = 7  # ":W&B" + 2-byte magic + 1-byte version, then records with 7-byte headers
_SKIP = {"train/generator_steps", "train/critic_steps", "train/cpu_minutes"}  # counters, not curves (bookkeeping
# keys such as epoch, trainer/global_step and W&B's _step are outside METRIC_SPLITS and skipped with the rest)


class Point(NamedTuple):
    step: int
    epoch: int | None
    metric: str
    value: float


def _wandb_records(path: Path) -> Iterator[bytes]:
    """The raw records of one ``.wandb`` file (the LevelDB log format, records split across blocks joined)."""
    data = path.read_bytes()
    if not data.startswith(b":W&B"):
        raise ValueError(f"{path} is not a W&B run file (no ':W&B' header)")
    pos, pending = _HEADER, b""
    while pos + 7 <= len(data):
        left = _BLOCK - pos % _BLOCK
        if left < 7:  # a block's tail too short for a record header is zero padding
            pos += left
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + 7])
        if kind == 0:  # zero padding up to the block's end (the writer stopped mid-block)
            pos += left
            continue
        chunk, pos = data[pos + 7:pos + 7 + length], pos + 7 + length
        if kind == 1:
            yield chunk
        elif kind == 2:
            pending = chunk
        elif kind == 3:
            pending += chunk
        elif kind == 4:
            yield pending + chunk
            pending = b""


METRIC_SPLITS = ("train", "val", "test")  # what a curve shows: the run's logged metrics, not its media


def metrics_from_wandb(run_dir: str | Path) -> list[Point]:
    """Every numeric value logged by the W&B run(s) under ``run_dir`` (a resumed run has several files; a later
    value for the same step and metric replaces an earlier one)."""
    from wandb.proto import wandb_internal_pb2 as pb

    files = sorted(Path(run_dir).rglob("run-*.wandb"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise FileNotFoundError(f"no W&B run file (run-*.wandb) under {run_dir}: was the run logged with "
                                "WANDB_MODE=disabled? Rerun it with WANDB_MODE=offline to keep its curves.")
    points: dict[tuple[int, str], Point] = {}
    for path in files:
        for raw in _wandb_records(path):
            record = pb.Record()
            record.ParseFromString(raw)
            if record.WhichOneof("record_type") != "history":
                continue
            row = {(i.key or "/".join(i.nested_key)): i.value_json for i in record.history.item}
            for point in _points(row):
                points[(point.step, point.metric)] = point
    return sorted(points.values(), key=lambda p: (p.metric, p.step))


def _points(row: dict[str, str]) -> Iterator[Point]:
    step = row.get("trainer/global_step", row.get("_step"))
    if step is None:
        return
    epoch = row.get("epoch")
    for key, text in row.items():
        if key in _SKIP or key.split("/")[0] not in METRIC_SPLITS:  # e.g. samples/width of a logged image
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            yield Point(int(float(step)), None if epoch is None else int(float(epoch)), key, float(value))


def metrics_from_records(records: Iterable[dict]) -> list[Point]:
    """Points from dicts such as ``{"epoch": 2, "step": 1732, "val/mae": 0.79}`` (a curve kept in a results
    file or a registry entry's ``extra``); keys other than step/epoch/minutes are metrics."""
    points = []
    for rec in records:
        for key, value in rec.items():
            if key not in ("step", "epoch", "minutes") and isinstance(value, (int, float)):
                points.append(Point(int(rec["step"]), rec.get("epoch"), key, float(value)))
    return sorted(points, key=lambda p: (p.metric, p.step))


def thin(points: list[Point], max_points: int = MAX_POINTS) -> list[Point]:
    """At most ``max_points`` per metric, evenly spaced in the logged order, the first and last kept."""
    by_metric: dict[str, list[Point]] = {}
    for p in points:
        by_metric.setdefault(p.metric, []).append(p)
    kept = []
    for series in by_metric.values():
        if len(series) > max_points:
            idx = sorted({round(i * (len(series) - 1) / (max_points - 1)) for i in range(max_points)})
            series = [series[i] for i in idx]
        kept.extend(series)
    return kept


def metrics_csv_text(points: list[Point]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(Point._fields)
    for p in thin(points):
        writer.writerow([p.step, "" if p.epoch is None else p.epoch, p.metric, f"{p.value:.6g}"])
    return out.getvalue()


def write_metrics_csv(folder: str | Path, points: list[Point]) -> Path:
    """Write ``folder/metrics.csv`` (atomically); refuse an empty run, which would draw an empty figure."""
    from zoo.hub import write_text_atomic

    if not points:
        raise ValueError(f"no numeric metrics were logged; nothing to write to {Path(folder) / METRICS_NAME}")
    path = Path(folder) / METRICS_NAME
    write_text_atomic(path, metrics_csv_text(points))
    return path


def read_metrics_csv(path: str | Path) -> list[Point]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and set(rows[0]) != set(Point._fields):
        raise ValueError(f"{path}: expected the columns {', '.join(Point._fields)}, got {', '.join(rows[0])}")
    return [Point(int(r["step"]), int(r["epoch"]) if r["epoch"] else None, r["metric"], float(r["value"]))
            for r in rows]
