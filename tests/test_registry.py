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


def _entry_file(folder, status: str, seconds_ago: float):
    import os
    import time

    path = folder / "gcn-cora.json"
    path.write_text(json.dumps({**get_pretrained_cfg("gcn-cora").to_dict(), "status": status}))
    os.utime(path, (time.time() - seconds_ago,) * 2)
    return path


def test_an_entry_is_parsed_once_until_its_file_changes(tmp_path, monkeypatch):
    """zoo.load/zoo list in one process read each registry file once; a write to it (any writer) is seen."""
    from zoo.io import write_text_atomic

    _entry_file(tmp_path, "failed: a", seconds_ago=60)
    parsed = []
    real_loads = json.loads
    monkeypatch.setattr("zoo.registry.json.loads", lambda text: parsed.append(1) or real_loads(text))
    first = load_pretrained_cfgs(tmp_path)["gcn-cora"]
    assert load_pretrained_cfgs(tmp_path)["gcn-cora"] is first and len(parsed) == 1
    path = _entry_file(tmp_path, "failed: b", seconds_ago=30)  # rewritten in place: same size, another mtime
    assert load_pretrained_cfgs(tmp_path)["gcn-cora"].status == "failed: b" and len(parsed) == 2
    write_text_atomic(path, path.read_text().replace("failed: b", "failed: c"))  # replaced, just now
    assert load_pretrained_cfgs(tmp_path)["gcn-cora"].status == "failed: c"
    path.write_text(path.read_text().replace("failed: c", "failed: d"))  # same size, within the same clock tick
    assert load_pretrained_cfgs(tmp_path)["gcn-cora"].status == "failed: d"
