"""bench.card_fields: one data file holds the hand-written card fields of every shipped id, and they are the
fields its registry entry carries."""

import string

import pytest

from bench.card_fields import CARD_FIELDS_FILE, CardFieldsError, _entries, card_fields, card_ids, card_text
from zoo.registry import PretrainedCfg, load_pretrained_cfgs

SHIPPED = load_pretrained_cfgs()


def test_every_shipped_id_has_card_fields_and_no_entry_is_orphaned():
    assert set(card_ids()) == set(SHIPPED), f"{CARD_FIELDS_FILE.name} and zoo/pretrained/ disagree on the ids"


@pytest.mark.parametrize("model_id", sorted(SHIPPED))
def test_fixed_fields_are_those_of_the_registry_entry(model_id):
    """Laying the data file's fields over the shipped entry changes nothing (so exporting from the file keeps the
    entry's words); the literature baselines it lists are among the entry's baselines."""
    entry = SHIPPED[model_id].to_dict()
    fields = card_fields(model_id)
    literature = fields.pop("baselines", [])
    assert PretrainedCfg.from_dict({**entry, **fields}).to_dict() == entry
    shipped_baselines = SHIPPED[model_id].baselines
    for baseline in literature:
        assert any(b.name == baseline["name"] and b.value == baseline["value"] and b.citation == baseline["citation"]
                   for b in shipped_baselines), baseline


@pytest.mark.parametrize("model_id", sorted(SHIPPED))
def test_text_templates_are_valid_format_strings(model_id):
    for name, template in (_entries()[model_id].get("text") or {}).items():
        assert isinstance(template, str), name
        list(string.Formatter().parse(template))  # raises ValueError on an unbalanced brace


def test_unknown_id_is_a_clear_error():
    with pytest.raises(CardFieldsError, match=r"no card fields for 'gcn-pubmed' in card_fields.yaml; add an entry"):
        card_fields("gcn-pubmed")
    with pytest.raises(CardFieldsError, match="no card fields for 'gcn-pubmed'"):
        card_text("gcn-pubmed", "notes")


def test_a_template_names_the_value_it_lacks():
    with pytest.raises(CardFieldsError, match=r"text 'protocol' of gcn-cora needs a value for 'last_seed'"):
        card_text("gcn-cora", "protocol")
    with pytest.raises(CardFieldsError, match="has no text 'nonsense'"):
        card_text("gcn-cora", "nonsense")
    assert card_text("gcn-cora", "protocol", last_seed=9).endswith("over seeds 0..9 of the final model.")


def test_callers_get_a_copy():
    card_fields("gcn-cora")["tags"].append("changed")
    assert "changed" not in card_fields("gcn-cora")["tags"]


def test_the_minimax_gan_notes_come_back_word_for_word_from_the_data_file():
    """bench/gan/ship_minimax.py fills gan-mnist's templates from the committed diagnosis CSV and the run's
    counters; with the shipped counters they give the shipped notes."""
    from bench.gan.ship_minimax import diagnosis_text

    shipped = SHIPPED["gan-mnist"]
    notes = card_text("gan-mnist", "notes", diagnosis=diagnosis_text(), wall_time=shipped.training["wall_time"],
                      epochs=shipped.training["epochs"], generator_steps=shipped.training["generator_steps"])
    assert notes == shipped.notes


@pytest.mark.parametrize("model_id", [i for i in sorted(SHIPPED) if SHIPPED[i].evaluator == "gan-fid"])
def test_every_gan_has_the_notes_a_gpu_import_writes(model_id):
    notes = card_text(model_id, "device_notes", command="zoo train X", hardware="one GPU", generator_steps=10,
                      epochs=1, paper_budget=card_text(model_id, "paper_budget"))
    assert notes.startswith("Trained by `zoo train X` on one GPU: 10 generator steps (1 epochs); ")
    assert ("200k generator iterations" in notes) == model_id.startswith("wgan-gp")
