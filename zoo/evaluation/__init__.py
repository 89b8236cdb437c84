"""Evaluators behind ``zoo eval ID``: each recomputes a checkpoint's card metrics on the real data.

An evaluator is ``fn(model, cfg, root=None) -> dict[metric_name, value]``, registered by name with
:func:`register_evaluator`; a pretrained entry names its evaluator in ``cfg.evaluator``. Family modules in
this package are imported automatically.

Evaluator names are lower-case words joined by hyphens, ``<family or dataset>-<what it measures>``:
``planetoid-accuracy``, ``moleculenet-regression``, ``qm9-regression``, ``gan-fid``, ``aae-parzen`` ...
:data:`ALIASES` keeps the names of older entries working.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable

_EVALUATORS: dict[str, Callable] = {}
NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
ALIASES = {"gan_fid": "gan-fid"}  # the old spelling, still in gan-mnist's entry


def register_evaluator(name: str) -> Callable:
    if not NAME.fullmatch(name):
        raise ValueError(f"evaluator name {name!r} is not lower-case words joined by hyphens (e.g. 'gan-fid')")

    def decorator(fn: Callable) -> Callable:
        _EVALUATORS[name] = fn
        return fn

    return decorator


def get_evaluator(name: str) -> Callable:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    name = ALIASES.get(name, name)
    if name not in _EVALUATORS:
        raise ValueError(f"no evaluator named {name!r}; registered: {sorted(_EVALUATORS)}. Fix the 'evaluator' "
                         "field of the registry entry")
    return _EVALUATORS[name]


def evaluate(model_id: str, root: str | None = None, only: set[str] | None = None) -> dict[str, float]:
    """Load ``model_id`` and recompute its metrics on the data under ``root`` (the data root by default);
    ``only``: the metric names wanted, for evaluators that can skip the others (a GAN's quick FID check)."""
    from zoo.hub import load
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg(model_id)
    if not cfg.evaluator:
        raise ValueError(f"{model_id} names no evaluator in its registry entry")
    evaluator = get_evaluator(cfg.evaluator)
    if only is not None:
        return evaluator(load(model_id), cfg, root=root, only=only)
    return evaluator(load(model_id), cfg, root=root)
