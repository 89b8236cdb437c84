from bench.aae.common import budget_of, epochs_done


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


def test_budget_of_reads_a_cpu_time_limit_under_either_name(tmp_path):
    recipe = tmp_path / "r.yaml"
    for name in ("CPUTimeLimit", "CPUTimeBudget"):
        recipe.write_text(f"trainer:\n  max_epochs: 200\n  callbacks:\n    - class_path: zoo.callbacks.{name}\n"
                          "      init_args: {minutes: 3}\n")
        assert budget_of(str(recipe)) == "3 CPU-minute budget"
