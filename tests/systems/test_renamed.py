"""Options under their earlier names: renamed ones still work (with a warning), moved ones say where they went."""

import pytest
import yaml

from zoo.cli import main as zoo_main
from zoo.systems.gan import NSGAN, WGANGP
from zoo.systems.renamed import upgrade_init_args, upgrade_recipe
from zoo.training import train

OLD_RECIPE = {
    "trainer": {"max_epochs": 1},
    "model": {"class_path": "zoo.systems.gan.WGANGP",
              "init_args": {"model_args": {"image_size": 28, "channels": 1, "latent_dim": 8, "base_width": 4},
                            "critic_args": {"base_width": 4}, "n_critic": 2, "lr_g": 1e-3,
                            "fid_every_n_epochs": 0}},
    "data": {"class_path": "zoo.data.images.MNISTDataModule", "init_args": {"batch_size": 4, "limit": 8}},
}


def test_renamed_options_of_a_recipe_and_its_overrides_take_their_new_names():
    with pytest.warns(FutureWarning, match="lr_g is now called generator_lr"):
        config, overrides, changed = upgrade_recipe(OLD_RECIPE, ["--model.init_args.lr_d=3e-4", "--seed_everything=1"])
    assert changed and config["model"]["init_args"] == {
        "model_args": OLD_RECIPE["model"]["init_args"]["model_args"], "discriminator_args": {"base_width": 4},
        "discriminator_steps": 2, "generator_lr": 1e-3}  # fid_every_n_epochs: 0 is the default now: dropped
    assert overrides == ["--model.init_args.discriminator_lr=3e-4", "--seed_everything=1"]
    assert "critic_args" in OLD_RECIPE["model"]["init_args"]  # the caller's dict is not modified
    new = {**OLD_RECIPE, "model": config["model"]}
    assert upgrade_recipe(new, ["--trainer.max_epochs=2"]) == (new, ["--trainer.max_epochs=2"], False)


@pytest.mark.parametrize("recipe, overrides, callback", [
    ({**OLD_RECIPE, "model": {**OLD_RECIPE["model"], "init_args": {"sample_every_n_epochs": 1}}}, [],
     "zoo.callbacks.SampleGrid"),  # in the recipe
    (OLD_RECIPE, ["--model.init_args.fid_every_n_epochs=5"], "zoo.callbacks.PeriodicFID"),  # on the command line
])
def test_an_option_that_moved_to_a_callback_names_the_callback(recipe, overrides, callback):
    with pytest.raises(ValueError, match=f"into the callback {callback}.*trainer.callbacks"):
        upgrade_recipe(recipe, overrides)


def test_zoo_train_refuses_a_moved_option_in_one_line(tmp_path, capsys):
    recipe = tmp_path / "old.yaml"
    old = {**OLD_RECIPE, "model": {**OLD_RECIPE["model"],
                                   "init_args": {**OLD_RECIPE["model"]["init_args"], "sample_every_n_epochs": 1}}}
    recipe.write_text(yaml.safe_dump(old))
    assert zoo_main(["train", str(recipe), f"--trainer.default_root_dir={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err
    assert "sample_every_n_epochs moved out of WGANGP into the callback zoo.callbacks.SampleGrid" in err
    assert "Traceback" not in err and not (tmp_path / "run").exists()


def test_an_old_style_recipe_still_builds_the_same_system(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "old.yaml"
    recipe.write_text(yaml.safe_dump(OLD_RECIPE))
    with pytest.warns(FutureWarning):
        cli = train(recipe, [f"--trainer.default_root_dir={tmp_path}"], run=False)
    assert isinstance(cli.model, WGANGP)
    assert (cli.model.hparams.generator_lr, cli.model.hparams.discriminator_steps) == (1e-3, 2)
    assert cli.model.hparams.discriminator_args == {"base_width": 4}


def test_python_callers_get_the_new_names_and_a_clear_error_for_unknown_ones():
    with pytest.warns(FutureWarning, match="'critic_architecture' is now called 'discriminator_architecture'"):
        args = upgrade_init_args(NSGAN, {"discriminator_architecture": "dcgan_discriminator"},
                                 {"critic_architecture": "binary_gan_discriminator"})
    assert args == {"discriminator_architecture": "binary_gan_discriminator"}  # the caller's old name wins
    with pytest.raises(TypeError, match="unexpected keyword argument 'critc_args'"):
        upgrade_init_args(NSGAN, {}, {"critc_args": {}})
