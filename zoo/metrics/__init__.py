"""Every metric the zoo reports, each computed by one function that training and ``zoo eval`` both call.

- ``classification.py``: accuracy over a node mask (Planetoid node classification).
- ``regression.py``: MAE, RMSE and Gilmer's error ratio per target (NFP, ECFP + MLP, MPNN).
- ``fid.py``: FID and KID of image generators. ``parzen.py``: Parzen-window log-likelihood.
  ``moses.py``: the MOSES molecule-generation metrics.

Names: one metric, one name, two spellings. A system logs ``<split>/<name>`` (Lightning and W&B group a run's
curves by the part before the slash); a registry entry's ``metrics[].name``, its card and ``zoo eval`` use
``<split>_<name>``, with the same value in the same unit. So the run's ``test/accuracy`` (%) is the card's
``test_accuracy`` (%), ``test/rmse`` is ``test_rmse``, ``test/error_ratio_mu`` is ``test_error_ratio_mu``.
:func:`logged` and :func:`card_names` spell one dict of metrics either way; :func:`card_name` maps one logged
name to its card name. A card's ``<split>_<name>_mean`` (with its ``std``) is the mean over seeds of the runs'
``<split>/<name>``. (The GAN and AAE cards name their metrics without a split, e.g. ``fid``: their protocol,
stated on the card, fixes the split.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

V = TypeVar("V")


def logged(split: str, metrics: Mapping[str, V]) -> dict[str, V]:
    """``{"accuracy": a}`` -> ``{"<split>/accuracy": a}``: the names a system logs."""
    return {f"{split}/{name}": value for name, value in metrics.items()}


def card_names(split: str, metrics: Mapping[str, V]) -> dict[str, V]:
    """``{"accuracy": a}`` -> ``{"<split>_accuracy": a}``: the names on a card and in ``zoo eval``."""
    return {f"{split}_{name}": value for name, value in metrics.items()}


def card_name(logged_name: str) -> str:
    """``"test/mae_mu"`` -> ``"test_mae_mu"``: the card's name for a metric a run logged."""
    split, sep, name = logged_name.partition("/")
    if not sep or not split or not name:
        raise ValueError(f"{logged_name!r} is not a logged metric name of the form '<split>/<name>'")
    return f"{split}_{name}"
