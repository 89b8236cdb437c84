"""Model sizes are found on the meta device, before anything is allocated (zoo/model_size.py)."""

import pytest

from zoo import model_size
from zoo.model_size import MAX_PARAMETERS, ModelTooLargeError, check_model_size
from zoo.registry import create_model, get_pretrained_cfg, list_models


@pytest.mark.parametrize("model_id", list_models())
def test_every_shipped_model_is_counted_exactly_and_far_below_the_cap(model_id):
    cfg = get_pretrained_cfg(model_id)
    model = create_model(cfg.architecture, **cfg.model_args)
    real = sum(t.numel() for t in model.parameters()) + sum(t.numel() for t in model.buffers())
    assert check_model_size(cfg.architecture, cfg.model_args) == real < MAX_PARAMETERS // 10


def test_a_huge_width_is_refused_with_its_parameter_count():
    args = {"in_channels": 1433, "out_channels": 7, "hidden_channels": 140_000}  # no number over the cap
    with pytest.raises(ModelTooLargeError, match="'gcn' model of 201,740,007 parameters, more than the 100,000,000"):
        check_model_size("gcn", args)


@pytest.mark.parametrize("args, where", [
    ({"in_channels": 5, "out_channels": 3, "hidden_channels": 10**9}, "hidden_channels = 1,000,000,000"),
    ({"in_channels": 5, "out_channels": 3, "hidden_channels": 1e9}, "hidden_channels = 1,000,000,000.0"),
    ({"in_features": 784, "latent_dim": 8, "hidden": [1000, 2**40]}, r"hidden\[1\] = 1,099,511,627,776"),
], ids=["int", "float", "in-a-list"])
def test_a_number_over_the_cap_is_refused_before_the_model_is_built(monkeypatch, args, where):
    def never(*_):
        raise AssertionError("the model was built")

    monkeypatch.setattr(model_size, "parameter_count", never)
    with pytest.raises(ModelTooLargeError, match=f"model_args {where} is larger than any model"):
        check_model_size("gcn", args)
