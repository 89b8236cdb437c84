import yaml

from zoo.cards import render_card, render_index, stale_cards
from zoo.registry import get_pretrained_cfg, load_pretrained_cfgs


def test_cards_and_index_are_in_sync_with_the_registry():
    assert stale_cards() == [], "run `zoo cards` to regenerate them"


def test_card_has_hub_metadata_and_the_reproducing_command():
    cfg = get_pretrained_cfg("gcn-cora")
    card = render_card(cfg)
    front = yaml.safe_load(card.split("---")[1])
    assert front["library_name"] == "zoo" and front["license"] == cfg.license
    assert front["datasets"] == ["Cora"]
    results = front["model-index"][0]["results"]
    measured = {r["metrics"][0]["type"]: r["metrics"][0]["value"] for r in results}
    assert measured["test_accuracy"] == round(cfg.metric("test_accuracy").value, 6)
    assert cfg.recipe in card and cfg.metrics[0].command in card
    assert "More Information Needed" not in card
    assert str(cfg.revision) not in card or cfg.revision is None


def test_index_lists_every_metric_with_its_paper_number():
    index = render_index(load_pretrained_cfgs())
    for cfg in load_pretrained_cfgs().values():
        for metric in cfg.metrics:
            assert f"| [{cfg.id}](checkpoints/{cfg.id}/README.md) |" in index
            assert f"{metric.name}" in index
