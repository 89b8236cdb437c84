import math

import pytest
import torch

from zoo.metrics.regression import error_ratio, mae, regression_metrics, rmse


def test_errors_per_target_by_hand():
    pred = torch.tensor([[1.0, 0.0], [3.0, 0.0]])
    target = torch.tensor([[0.0, 0.0], [0.0, 4.0]])
    torch.testing.assert_close(mae(pred, target), torch.tensor([2.0, 2.0]))
    torch.testing.assert_close(rmse(pred, target), torch.tensor([math.sqrt(5.0), math.sqrt(8.0)]))
    assert error_ratio(0.05, 0.1) == pytest.approx(0.5)


def test_every_metric_by_name_with_error_ratios_only_where_chemical_accuracy_is_known():
    pred, target = torch.tensor([[0.2, 1.0], [0.0, 3.0]]), torch.tensor([[0.0, 2.0], [0.0, 2.0]])
    out = regression_metrics(pred, target, ["mu", "A"], [0.1, float("nan")])
    assert set(out) == {"mae_mu", "rmse_mu", "error_ratio_mu", "mae_A", "rmse_A", "mae", "rmse"}
    torch.testing.assert_close(out["error_ratio_mu"], out["mae_mu"] / 0.1)
    torch.testing.assert_close(out["mae"], (out["mae_mu"] + out["mae_A"]) / 2)


def test_one_target_accepts_flat_tensors_and_its_mean_is_itself():
    pred, target = torch.tensor([1.0, 2.0, 4.0]), torch.tensor([1.0, 1.0, 1.0])
    out = regression_metrics(pred, target, ["logS"])
    assert out["rmse"] == out["rmse_logS"] and out["mae"].item() == pytest.approx(4 / 3)


def test_names_must_match_the_targets():
    with pytest.raises(ValueError, match="1 target names for 2 targets"):
        regression_metrics(torch.zeros(3, 2), torch.zeros(3, 2), ["mu"])
