"""bench.seeds: a seed's run folder name depends on the extra options, so a smoke run never reuses a real one."""

from bench.seeds import run_name


def test_run_name_is_the_seed_alone_for_the_recipe_setting():
    assert run_name(3) == "seed3"


def test_extra_options_get_their_own_folder():
    smoke = run_name(3, ["--trainer.max_epochs=2"])
    assert smoke.startswith("seed3-") and smoke != run_name(3)
    assert smoke == run_name(3, ["--trainer.max_epochs=2"])
    assert smoke != run_name(3, ["--trainer.max_epochs=3"])
