import pytest

from zoo.ranks import RANK_VARIABLES, is_rank_zero


def test_a_plain_process_is_rank_zero(monkeypatch):
    for name in RANK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert is_rank_zero()


@pytest.mark.parametrize("name, value", [("RANK", "3"), ("LOCAL_RANK", "1"), ("NODE_RANK", "1")])
def test_any_non_zero_rank_variable_means_another_process(monkeypatch, name, value):
    """torchrun's second node (RANK=4, LOCAL_RANK=0) and Lightning's second device (LOCAL_RANK=1) alike."""
    for other in RANK_VARIABLES:
        monkeypatch.setenv(other, "0")
    monkeypatch.setenv(name, value)
    assert not is_rank_zero()
