"""Evaluator ids: one style (lower-case words joined by hyphens), every registry entry's id resolves."""

import pytest

from zoo.evaluation import _EVALUATORS, NAME, get_evaluator, register_evaluator
from zoo.registry import load_pretrained_cfgs


def test_every_registered_evaluator_has_one_style_and_every_entry_names_one():
    get_evaluator("gan-fid")  # imports every family module
    assert all(NAME.fullmatch(name) for name in _EVALUATORS), sorted(_EVALUATORS)
    for model_id, cfg in load_pretrained_cfgs().items():
        assert callable(get_evaluator(cfg.evaluator)), model_id
        assert NAME.fullmatch(cfg.evaluator), f"{model_id}: {cfg.evaluator}"


def test_an_unknown_name_says_what_to_fix():
    with pytest.raises(ValueError, match="no evaluator named 'gan_fid'.*registry entry"):
        get_evaluator("gan_fid")  # the old spelling is not kept: nobody had it


@pytest.mark.parametrize("bad", ["gan_fid2", "QM9", "planetoid accuracy", "-fid", ""])
def test_a_name_in_another_style_is_refused_at_registration(bad):
    with pytest.raises(ValueError, match="lower-case words joined by hyphens"):
        register_evaluator(bad)
