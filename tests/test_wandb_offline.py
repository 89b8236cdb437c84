"""A W&B offline run's metrics read back from its .wandb file, as written by wandb itself, and the run folder's
curves taken from it when the run has no CSV log."""

import pytest

from zoo.run_metrics import Point, logged_metrics_source, metrics_from_run
from zoo.wandb_offline import BLOCK_SIZE, history, run_files


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory):
    """A run folder whose only log is a W&B offline run: three Lightning-style rows and one row larger than a
    32 KiB block, so that a record spans blocks (FIRST, MIDDLE, LAST chunks)."""
    import wandb

    run_dir = tmp_path_factory.mktemp("run")
    run = wandb.init(mode="offline", dir=run_dir, project="zoo-test", settings=wandb.Settings(
        console="off", x_disable_stats=True, x_disable_machine_info=True))
    for step in (49, 99, 149):
        run.log({"train/g_loss": step / 100, "train/generator_steps": step + 1, "trainer/global_step": step,
                 "epoch": step // 100})
    run.log({"note": "x" * (2 * BLOCK_SIZE + 100), "val/fid": 40.5, "trainer/global_step": 149, "epoch": 1})
    run.finish()
    return run_dir


def test_history_reads_every_row_as_logged(offline_run):
    (path,) = run_files(offline_run)
    rows = history(path)
    assert [row["trainer/global_step"] for row in rows] == [49, 99, 149, 149]
    assert rows[1]["train/g_loss"] == pytest.approx(0.99)
    assert rows[3]["val/fid"] == 40.5 and len(rows[3]["note"]) == 2 * BLOCK_SIZE + 100  # spans three blocks


def test_a_run_without_csv_log_has_its_curves_from_wandb(offline_run):
    assert logged_metrics_source(offline_run) == "wandb"
    points = metrics_from_run(offline_run)
    # keyed by Lightning's global step like the CSV log; counters, strings and the step columns are not curves
    assert points == [Point(49, 0, "train/g_loss", pytest.approx(0.49)), Point(99, 0, "train/g_loss", 0.99),
                      Point(149, 1, "train/g_loss", 1.49), Point(149, 1, "val/fid", 40.5)]


def test_a_truncated_run_file_keeps_the_records_before_the_cut(offline_run, tmp_path):
    (path,) = run_files(offline_run)
    data = path.read_bytes()
    cut = tmp_path / "run-cut.wandb"
    cut.write_bytes(data[:BLOCK_SIZE + 10])  # inside the large row's record
    rows = history(cut)
    assert [row["trainer/global_step"] for row in rows] == [49, 99, 149]


def test_other_files_and_empty_folders_say_what_is_wrong(tmp_path):
    not_wandb = tmp_path / "metrics.csv"
    not_wandb.write_text("step,epoch\n")
    with pytest.raises(ValueError, match="not a W&B run file"):
        history(not_wandb)
    assert logged_metrics_source(tmp_path) is None
    with pytest.raises(FileNotFoundError, match="no CSV log .* and no W&B run"):
        metrics_from_run(tmp_path)
