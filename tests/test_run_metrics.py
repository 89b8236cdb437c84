"""metrics.csv from a run's CSV logs (Lightning's CSVLogger, one version per session): read back, thinned, written
and read."""

import pytest
from csv_log import write_csv_log

from zoo.run_metrics import (
    MAX_POINTS,
    Point,
    logged_metrics_source,
    metrics_csv_text,
    metrics_from_records,
    metrics_from_run,
    read_metrics_csv,
    thin,
    write_metrics_csv,
)


def test_every_session_is_read_and_a_resumed_value_replaces_the_first(tmp_path):
    write_csv_log(tmp_path / "csv/version_0/metrics.csv",
                  [{"step": s, "epoch": s // 10, "train/loss": 1.0 / (s + 1)} for s in range(0, 2000, 10)]
                  + [{"step": 5, "epoch": 0, "val/mae": 2.0, "samples/count": 1, "train/generator_steps": 7}])
    write_csv_log(tmp_path / "csv/version_1/metrics.csv", [{"step": 1990, "epoch": 199, "train/loss": 9.0}])
    write_csv_log(tmp_path / "csv/version_10/metrics.csv", [{"step": 1990, "epoch": 199, "val/mae": 1.0}])
    assert logged_metrics_source(tmp_path) == "csv"
    points = metrics_from_run(tmp_path)
    loss = [p for p in points if p.metric == "train/loss"]
    assert [p.step for p in loss] == list(range(0, 2000, 10))
    assert loss[-1].value == 9.0  # the resumed session's value replaces the first one's for the same step
    assert loss[3] == Point(30, 3, "train/loss", pytest.approx(1 / 31))
    assert [(p.step, p.value) for p in points if p.metric == "val/mae"] == [(5, 2.0), (1990, 1.0)]  # version 10 > 1
    # a curve shows metrics, not the step and epoch columns, an image's fields or step counters
    assert {p.metric for p in points} == {"train/loss", "val/mae"}


def test_a_folder_without_csv_logs_says_why(tmp_path):
    with pytest.raises(FileNotFoundError, match="no CSV log"):
        metrics_from_run(tmp_path)


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


def test_a_zoo_train_run_keeps_its_curves_in_csv_whatever_wandbs_mode(data_root, tmp_path, monkeypatch):
    """Every run logs to Lightning's CSVLogger beside W&B (here disabled); a resumed run adds a session."""
    from pathlib import Path

    from zoo.training import fit

    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "disabled")
    monkeypatch.chdir(tmp_path)
    recipe = Path(__file__).resolve().parents[1] / "recipes/gcn/cora.yaml"
    quiet = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]
    first = fit(recipe, ["--trainer.max_epochs=2", *quiet], run_name="r", verbose=False)
    fit(recipe, ["--trainer.max_epochs=2", *quiet], run_name="r", verbose=False)  # resumes: nothing left to do
    fit(recipe, ["--trainer.max_epochs=3", *quiet], run_name="r", verbose=False)  # one more epoch
    assert (first.dir / "csv" / "version_0" / "metrics.csv").is_file()
    points = metrics_from_run(first.dir)
    loss = [p for p in points if p.metric == "train/loss"]
    assert [p.step for p in loss] == [0, 1, 2]  # GCN: one step per epoch, the third from the resumed session
    assert {"val/accuracy", "val/loss"} <= {p.metric for p in points}
