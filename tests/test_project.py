"""The project's URL has one place (pyproject.toml's [project.urls]); without one, cards say how to load from a
clone and name no owner; cards name their run's W&B project and whether it was synced (issue 20)."""

from pathlib import Path

import zoo.project
from zoo.cards import render_card
from zoo.registry import get_pretrained_cfg

REPO = Path(__file__).resolve().parents[1]


def test_the_unpublished_project_has_no_url_and_cards_load_from_a_clone():
    assert zoo.project.repository_url() is None  # no public repository exists: none is invented
    card = render_card(get_pretrained_cfg("gcn-cora"))
    assert "not published yet" in card
    assert 'torch.hub.load("path/to/clone", "gcn_cora", source="local")' in card
    assert "github.com" not in card


def test_a_url_in_pyproject_is_linked_and_used_by_torch_hub(tmp_path, monkeypatch):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n[project.urls]\nRepository = "https://github.com/someone/zoo"\n')
    monkeypatch.setattr(zoo.project, "PYPROJECT", pyproject)
    card = render_card(get_pretrained_cfg("gcn-cora"))
    assert "shipped by [zoo](https://github.com/someone/zoo)" in card
    assert 'torch.hub.load("someone/zoo", "gcn_cora")' in card
    assert zoo.project.github_repo("https://gitlab.com/a/b") is None


def test_no_text_names_the_nonexistent_owner():
    texts = [REPO / "README.md", REPO / "hubconf.py", REPO / "MODEL_CARDS.md", *REPO.glob("checkpoints/*/README.md")]
    assert [p.name for p in texts if "zoo-models" in p.read_text()] == []


def test_cards_name_the_wandb_project_and_whether_the_run_was_synced():
    cfg = get_pretrained_cfg("gcn-cora")
    card = render_card(cfg)
    assert f"W&B run: `{cfg.training['wandb_run_id']}` in project `zoo` (logged offline; not synced" in card
    synced = type(cfg).from_dict({**cfg.to_dict(), "training": {**cfg.training, "wandb_synced": True,
                                                                  "wandb_project": "mine"}})
    assert "in project `mine` (synced to W&B)" in render_card(synced)
