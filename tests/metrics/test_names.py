import pytest

from zoo.metrics import card_name, card_names, logged


def test_one_dict_spelled_for_the_log_and_for_the_card():
    metrics = {"accuracy": 81.6, "mae_mu": 0.3}
    assert logged("test", metrics) == {"test/accuracy": 81.6, "test/mae_mu": 0.3}
    assert card_names("test", metrics) == {"test_accuracy": 81.6, "test_mae_mu": 0.3}
    assert [card_name(k) for k in logged("test", metrics)] == list(card_names("test", metrics))


def test_a_logged_name_keeps_its_underscores_and_later_slashes():
    assert card_name("val/error_ratio_mu") == "val_error_ratio_mu"
    assert card_name("test/mae_log solubility") == "test_mae_log solubility"


@pytest.mark.parametrize("bad", ["accuracy", "/accuracy", "test/"])
def test_a_name_without_a_split_is_refused(bad):
    with pytest.raises(ValueError, match="<split>/<name>"):
        card_name(bad)
