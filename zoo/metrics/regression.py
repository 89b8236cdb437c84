r"""Regression errors per target, in the targets' physical units (molecular property prediction).

For predictions :math:`\hat y` and targets :math:`y` of :math:`N` molecules and :math:`T` targets:

.. math::
    \mathrm{MAE}_t = \frac1N \sum_i |\hat y_{it} - y_{it}|, \qquad
    \mathrm{RMSE}_t = \Big(\frac1N \sum_i (\hat y_{it} - y_{it})^2\Big)^{1/2}, \qquad
    \mathrm{error\ ratio}_t = \mathrm{MAE}_t / a_t,

where :math:`a_t` is the target's chemical accuracy (Gilmer et al., Neural Message Passing for Quantum
Chemistry, ICML 2017, Table 5; the values for QM9 are ``zoo.data.qm9.CHEMICAL_ACCURACY``): a ratio below 1 is
chemical accuracy reached. Duvenaud et al. (2015) report RMSE on ESOL; Gilmer et al. MAE and the error ratio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from torch import Tensor


def mae(pred: Tensor, target: Tensor) -> Tensor:
    """Mean absolute error per target (the last dimension); ``pred`` and ``target`` have one shape."""
    return (pred - target).abs().mean(0)


def rmse(pred: Tensor, target: Tensor) -> Tensor:
    """Root mean squared error per target."""
    return (pred - target).pow(2).mean(0).sqrt()


def error_ratio(mae_value: Tensor | float, chemical_accuracy: float) -> Tensor | float:
    """MAE over the target's chemical accuracy (Gilmer et al. 2017, Table 5)."""
    return mae_value / chemical_accuracy


def regression_metrics(pred: Tensor, target: Tensor, names: Sequence[str],
                       chemical_accuracy: Sequence[float] = ()) -> dict[str, Tensor]:
    """Every molecule-regression metric, by name: ``mae_<t>``, ``rmse_<t>`` per target ``t`` of ``names``,
    ``error_ratio_<t>`` where ``chemical_accuracy`` gives a finite value, and ``mae`` / ``rmse`` averaged
    over the targets (for one target, the target's own)."""
    pred, target = pred.reshape(target.shape[0], -1), target.reshape(target.shape[0], -1)
    per_mae, per_rmse = mae(pred, target), rmse(pred, target)
    if len(names) != per_mae.numel():
        raise ValueError(f"{len(names)} target names for {per_mae.numel()} targets")
    out: dict[str, Tensor] = {}
    for i, name in enumerate(names):
        out[f"mae_{name}"] = per_mae[i]
        out[f"rmse_{name}"] = per_rmse[i]
        if i < len(chemical_accuracy) and not math.isnan(chemical_accuracy[i]):
            out[f"error_ratio_{name}"] = error_ratio(per_mae[i], chemical_accuracy[i])
    out["mae"], out["rmse"] = per_mae.mean(), per_rmse.mean()
    return out
