import json

import pytest

from zoo.registry import (PretrainedCfg, UnknownModelError, create_model, get_pretrained_cfg,
                          list_architectures, list_models, load_pretrained_cfgs)


def test_unknown_id_lists_closest_ids():
    with pytest.raises(UnknownModelError) as err:
        get_pretrained_cfg("gcn-coraa")
    assert "Did you mean 'gcn-cora'" in str(err.value)


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(UnknownModelError, match="unknown architecture 'gnc'.*'gcn'"):
        create_model("gnc")


def test_list_models_filters_by_pattern():
    assert "gcn-cora" in list_models("gcn-*")
    assert all(i.startswith("gcn-") for i in list_models("gcn-*"))
    assert list_models("no-such-*") == []


def test_every_entry_is_complete_and_its_architecture_registered():
    architectures = set(list_architectures())
    for model_id, cfg in load_pretrained_cfgs().items():
        assert cfg.architecture in architectures, model_id
        assert cfg.metrics and cfg.reproduce.recipe and cfg.paper and cfg.sha256 and cfg.license, model_id
        assert all(m.command for m in cfg.metrics), f"{model_id}: every metric needs its reproducing command"


def test_entry_with_missing_or_unknown_keys_is_rejected(tmp_path):
    good = get_pretrained_cfg("gcn-cora").to_dict()
    bad = {k: v for k, v in good.items() if k != "architecture"}
    (tmp_path / "gcn-cora.json").write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="missing required keys \\['architecture'\\]"):
        load_pretrained_cfgs(tmp_path)
    (tmp_path / "gcn-cora.json").write_text(json.dumps({**good, "colour": "red"}))
    with pytest.raises(ValueError, match="unknown keys \\['colour'\\]"):
        load_pretrained_cfgs(tmp_path)


def test_round_trip_through_dict():
    cfg = get_pretrained_cfg("gcn-cora")
    assert PretrainedCfg.from_dict(cfg.to_dict()) == cfg


def test_status_marks_any_entry_and_defaults_to_working():
    cfg = get_pretrained_cfg("gcn-cora")
    assert cfg.status == ""
    marked = PretrainedCfg.from_dict({**cfg.to_dict(), "status": "failed: a test"})
    assert marked.status == "failed: a test" and PretrainedCfg.from_dict(marked.to_dict()) == marked
    for entry in load_pretrained_cfgs().values():
        assert len(entry.status) <= 55, f"{entry.id}: keep the status short, `zoo list` prints it on one line"


def test_every_checkpoint_config_agrees_with_its_registry_entry():
    """config.json's pretrained_cfg is derived from zoo/pretrained/<id>.json; `zoo cards` rewrites a stale one."""
    from zoo.hub import checkpoints_dir, config_disagreement, read_config

    disagree = {model_id: config_disagreement(read_config(checkpoints_dir() / model_id), cfg)
                for model_id, cfg in load_pretrained_cfgs().items() if (checkpoints_dir() / model_id).is_dir()}
    assert {k: v for k, v in disagree.items() if v} == {}, "run `zoo cards` to rewrite them"
