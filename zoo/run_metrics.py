"""A training run's logged metrics, kept beside a checkpoint as ``metrics.csv`` (drawn as the card's curves).

``metrics.csv`` is long-format CSV, one logged value a row::

    step,epoch,metric,value
    49,0,train/generator,5.4176

``step`` is Lightning's ``trainer/global_step``; ``epoch`` may be empty. At most :data:`MAX_POINTS` rows are
kept per metric (evenly thinned, first and last kept), so the file stays a few tens of KB.

Where the rows come from: every ``zoo train`` run logs through Lightning's ``CSVLogger`` beside W&B
(:func:`zoo.training.make_csv_logger`), one ``<run>/csv/version_<n>/metrics.csv`` per session of the run (a resumed
run starts the next version); :func:`metrics_from_run` reads them, a later session's value for a step replacing an
earlier one. A run made with Lightning's default CSV logger (``lightning_logs/version_<n>/``) reads the same way.
A run folder with no CSV log (a run made before the zoo kept one, or logged to W&B alone) is read from its W&B
offline run instead (:mod:`zoo.wandb_offline`): the same metrics, as ``WandbLogger`` logged them.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

METRICS_NAME = "metrics.csv"
MAX_POINTS = 300
LOG_DIRS = ("csv", "lightning_logs")  # CSVLogger folders in a run folder: the zoo's, and Lightning's default
_SKIP = {"train/generator_steps", "train/critic_steps", "train/cpu_minutes"}  # counters, not curves (the step and
# epoch columns are outside METRIC_SPLITS and skipped with the rest)


class Point(NamedTuple):
    step: int
    epoch: int | None
    metric: str
    value: float


METRIC_SPLITS = ("train", "val", "test")  # what a curve shows: the run's logged metrics, not its media


def csv_logs(run_dir: str | Path) -> list[Path]:
    """The CSVLogger files of a run folder, in the order they were written (by version)."""
    found = [p for name in LOG_DIRS for p in Path(run_dir).glob(f"{name}/version_*/{METRICS_NAME}")]
    return sorted(found, key=lambda p: (p.parent.parent.name, _version(p.parent.name)))


def _version(folder: str) -> int:
    number = folder.removeprefix("version_")
    return int(number) if number.isdigit() else -1


def logged_metrics_source(run_dir: str | Path) -> str | None:
    """Which logs of the run folder :func:`metrics_from_run` reads: ``"csv"`` (its CSVLogger files), else
    ``"wandb"`` (its W&B offline runs), or None when it has neither."""
    from zoo.wandb_offline import run_files

    if csv_logs(run_dir):
        return "csv"
    return "wandb" if run_files(run_dir) else None


def metrics_from_run(run_dir: str | Path) -> list[Point]:
    """Every numeric metric value logged by the run in ``run_dir``: its CSVLogger files or, where it has none, its
    W&B offline runs (:func:`logged_metrics_source`); a later session's value for the same step and metric replaces
    an earlier one."""
    source = logged_metrics_source(run_dir)
    if source is None:
        raise FileNotFoundError(f"no CSV log (csv/version_*/metrics.csv) and no W&B run (wandb/*run-*/run-*.wandb) "
                                f"under {run_dir}: is it a zoo train run folder? Runs log there whatever W&B's mode")
    points: dict[tuple[int, str], Point] = {}
    for row in (_csv_rows(run_dir) if source == "csv" else _wandb_rows(run_dir)):
        for point in _points(row):
            points[(point.step, point.metric)] = point
    return sorted(points.values(), key=lambda p: (p.metric, p.step))


def _csv_rows(run_dir: str | Path) -> Iterator[dict[str, str]]:
    for path in csv_logs(run_dir):
        with open(path, newline="") as f:
            yield from csv.DictReader(f)


def _wandb_rows(run_dir: str | Path) -> Iterator[dict[str, str]]:
    """The W&B offline runs' rows in the CSVLogger's shape: ``step`` is Lightning's ``trainer/global_step`` (W&B's own
    ``_step`` where the run did not log through Lightning), numbers as text, other values (media, strings) left out."""
    from zoo.wandb_offline import history, run_files

    for path in run_files(run_dir):
        for row in history(path):
            step = row.get("trainer/global_step", row.get("_step"))
            epoch = row.get("epoch")
            cells = {"step": "" if step is None else str(step), "epoch": "" if epoch is None else str(epoch)}
            cells.update({key: str(value) for key, value in row.items()
                          if isinstance(value, (int, float)) and not isinstance(value, bool)})
            yield cells


def _points(row: dict[str, str]) -> Iterator[Point]:
    """The metric values of one CSVLogger row (empty cells are metrics not logged at that step)."""
    step, epoch = row.get("step"), row.get("epoch")
    if not step:
        return
    for key, text in row.items():
        if not key or not text or key in _SKIP or key.split("/")[0] not in METRIC_SPLITS:
            continue
        try:
            value = float(text)
        except ValueError:
            continue
        if math.isfinite(value):
            yield Point(int(float(step)), int(float(epoch)) if epoch else None, key, value)


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
    from zoo.io import write_text_atomic

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
