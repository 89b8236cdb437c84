"""metrics.csv from a run's W&B log: the LevelDB-style record file read back, thinned, written and read."""

import pytest
from wandb_log import history, write_wandb_file

from zoo.run_metrics import (
    MAX_POINTS,
    Point,
    metrics_csv_text,
    metrics_from_records,
    metrics_from_wandb,
    read_metrics_csv,
    thin,
    write_metrics_csv,
)


def test_history_is_read_back_across_blocks_and_resumed_files(tmp_path):
    long_name = "train/" + "x" * 40000  # one record longer than a block: FIRST, MIDDLE, LAST pieces
    write_wandb_file(tmp_path / "wandb/offline-run-1/run-a.wandb",
                [history(s, **{"train/loss": 1.0 / (s + 1)}) for s in range(0, 2000, 10)]
                + [history(5, **{long_name: 2.0, "samples/count": 1, "train/generator_steps": 7})])
    write_wandb_file(tmp_path / "wandb/offline-run-1-1/run-a.wandb", [history(1990, **{"train/loss": 9.0})])
    points = metrics_from_wandb(tmp_path)
    loss = [p for p in points if p.metric == "train/loss"]
    assert [p.step for p in loss] == list(range(0, 2000, 10))
    assert loss[-1].value == 9.0  # the resumed run's value replaces the first one's for the same step
    assert loss[3] == Point(30, 3, "train/loss", pytest.approx(1 / 31))
    assert [p.value for p in points if p.metric == long_name] == [2.0]
    assert not any(p.metric in ("epoch", "_runtime", "trainer/global_step") for p in points)
    # a curve shows metrics, not an image's fields or step counters
    assert not any(p.metric in ("samples/count", "train/generator_steps") for p in points)


def test_a_run_without_wandb_files_says_why(tmp_path):
    with pytest.raises(FileNotFoundError, match="WANDB_MODE=disabled"):
        metrics_from_wandb(tmp_path)


def test_csv_is_thinned_per_metric_and_round_trips(tmp_path):
    points = [Point(s, None, "train/loss", float(s)) for s in range(1000)] + [Point(7, 0, "val/mae", 0.5)]
    kept = thin(points)
    assert len([p for p in kept if p.metric == "train/loss"]) == MAX_POINTS
    assert kept[0].step == 0 and kept[MAX_POINTS - 1].step == 999
    path = write_metrics_csv(tmp_path, points)
    assert read_metrics_csv(path) == kept
    assert metrics_csv_text(points).startswith("step,epoch,metric,value\n")
    with pytest.raises(ValueError, match="no numeric metrics"):
        write_metrics_csv(tmp_path, [])


def test_records_from_a_results_file():
    points = metrics_from_records([{"epoch": 2, "step": 1732, "minutes": 2.5, "val/mae": 0.79}])
    assert points == [Point(1732, 2, "val/mae", 0.79)]
