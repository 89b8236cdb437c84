"""zoo.recipe_names: a recipe names only classes in the zoo and the libraries it documents, checked before any
import, so a module planted beside the recipe never runs."""

import sys
from pathlib import Path

import pytest
import yaml

from zoo.recipe_names import ForeignClassError, check_names

REPO = Path(__file__).resolve().parents[1]
RECIPES = sorted((REPO / "recipes").rglob("*.yaml"))


@pytest.fixture
def planted(tmp_path, monkeypatch):
    """``somepkg.py`` in the working directory (importable, as the current folder is under ``python -m``) that
    writes ``marker`` when imported; yields the marker."""
    marker = tmp_path / "pwned"
    (tmp_path / "somepkg.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Thing:\n    pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield marker
    assert "somepkg" not in sys.modules and not marker.exists()  # never imported


def gcn_recipe(tmp_path, **changes):
    config = yaml.safe_load((REPO / "recipes/gcn/cora.yaml").read_text())
    for section, value in changes.items():
        config[section] = value
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_a_recipe_naming_a_planted_module_is_refused_without_importing_it(planted, tmp_path, capsys):
    from zoo.cli import main

    recipe = gcn_recipe(tmp_path, model={"class_path": "somepkg.Thing", "init_args": {}})
    assert main(["train", str(recipe)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "model.class_path names 'somepkg.Thing'" in err and "zoo, lightning" in err


@pytest.mark.parametrize("override", [
    ["--model.class_path=somepkg.Thing"],
    ["--model", "somepkg.Thing"],
    ["--trainer.callbacks+=somepkg.Thing"],
    ['--trainer.callbacks=[{"class_path": "somepkg.Thing"}]'],
    ["--model.init_args.hook=os.system"],
])
def test_an_override_naming_a_foreign_class_is_refused_before_any_import(planted, tmp_path, override):
    from zoo.training import fit

    with pytest.raises(ForeignClassError, match="command line: .* names '(somepkg.Thing|os.system)'"):
        fit(gcn_recipe(tmp_path), override)


def test_a_config_file_named_by_an_override_is_checked_too(planted, tmp_path):
    from zoo.training import instantiate

    (tmp_path / "more.yaml").write_text("trainer:\n  callbacks:\n    - class_path: somepkg.Thing\n")
    with pytest.raises(ForeignClassError, match=r"more.yaml \(named by command line: config\): trainer.callbacks"):
        instantiate(gcn_recipe(tmp_path), ["--config", "more.yaml"])


def test_text_that_names_no_module_and_shorthand_class_names_pass(tmp_path):
    check_names(tmp_path / "r.yaml", {"model": {"class_path": "GCNSystem"},
                                      "trainer": {"callbacks": [{"init_args": {"filename": "best.ckpt"}}]}},
                ["--trainer.precision=bf16-mixed", "--model.init_args.lr=0.01"])
    with pytest.raises(ForeignClassError, match="names 'numpy.random.RandomState'"):
        check_names(tmp_path / "r.yaml", {"model": {"class_path": "numpy.random.RandomState"}})


@pytest.mark.parametrize("recipe", RECIPES, ids=[str(r.relative_to(REPO / "recipes")) for r in RECIPES])
def test_every_shipped_recipe_names_only_allowed_classes(recipe):
    check_names(recipe, yaml.safe_load(recipe.read_text()))


def test_a_python_caller_may_vouch_for_its_own_package_but_a_recipe_alone_may_not(tmp_path):
    from zoo.recipe_names import ForeignClassError, check_names

    content = {"data": {"class_path": "bench.lightning_overhead.TinyData"}}
    with pytest.raises(ForeignClassError, match="bench.lightning_overhead.TinyData"):
        check_names(tmp_path / "tiny.yaml", content)
    check_names(tmp_path / "tiny.yaml", content, trusted=("bench",))  # zoo.training.fit(trusted_packages=...)
