import os
import pickle
from pathlib import Path

import pytest
import torch

from bench.aae.common import budget_of, epochs_done, train_or_load


def test_epochs_done_counts_the_epoch_an_end_of_epoch_checkpoint_was_written_in():
    # Lightning writes an end-of-epoch checkpoint before the epoch counts as completed: epoch 11, 12 processed
    state = {"epoch": 11, "loops": {"fit_loop": {"epoch_progress": {"total": {"completed": 11, "processed": 12}}}}}
    assert epochs_done(state) == 12
    assert epochs_done({"epoch": 3}) == 3  # a checkpoint without loop state: the best it has


def test_budget_of_names_what_bounds_the_run(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("trainer:\n  max_epochs: 27\n  limit_train_batches: 1000\n  max_time: '00:08:00:00'\n")
    assert budget_of(str(recipe)) == "27 epochs of 1000 batches (480-minute wall-clock cap)"
    recipe.write_text("trainer:\n  max_time: '00:01:30:00'\n")
    assert budget_of(str(recipe)) == "90-minute wall-clock budget"


def test_budget_of_reads_a_cpu_time_limit(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("trainer:\n  max_epochs: 200\n  callbacks:\n    - class_path: zoo.callbacks.CPUTimeLimit\n"
                      "      init_args: {minutes: 3}\n")
    assert budget_of(str(recipe)) == "3 CPU-minute budget"


class _Exploit:
    """Unpickling this runs a shell command that creates ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_planted_run_checkpoint_is_not_unpickled(tmp_path):
    folder = tmp_path / "run"
    (folder / "checkpoints").mkdir(parents=True)
    torch.save({"state_dict": {}, "global_step": 1, "epoch": 0, "x": _Exploit(tmp_path / "pwned")},
               folder / "checkpoints" / "last.ckpt")
    recipe = Path(__file__).resolve().parents[2] / "recipes" / "aae" / "debug.yaml"
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        train_or_load(str(recipe), [], train_now=False, folder=folder)
    assert not (tmp_path / "pwned").exists()
