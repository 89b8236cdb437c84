"""Evaluators behind ``zoo eval ID``: each recomputes a checkpoint's card metrics on the real data.

An evaluator is ``fn(model, cfg, root=None) -> dict[metric_name, value]``, registered by name with
:func:`register_evaluator`; a pretrained entry names its evaluator in ``cfg.evaluator``. Family modules in
this package are imported automatically.

:func:`evaluate_checkpoint` scores a run's checkpoint (``zoo eval RUN``) with a shipped id's protocol.

Evaluator names are lower-case words joined by hyphens, ``<family or dataset>-<what it measures>``:
``planetoid-accuracy``, ``moleculenet-regression``, ``qm9-regression``, ``gan-fid``, ``aae-parzen`` ...
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path

_EVALUATORS: dict[str, Callable] = {}
NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


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
    evaluator = _evaluator_of(cfg)
    return _run(evaluator, load(model_id), cfg, root, only)


def evaluate_checkpoint(checkpoint: str | Path, protocol_id: str, root: str | None = None,
                        only: set[str] | None = None) -> dict[str, float]:
    """Score the trained network of a ``zoo train`` checkpoint (``runs/.../checkpoints/last.ckpt``) with the
    protocol of the shipped id ``protocol_id``: its evaluator, metrics and settings (``zoo eval RUN``)."""
    from zoo.export import load_trained_net
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg(protocol_id)
    evaluator = _evaluator_of(cfg)  # before the checkpoint is read: an id without one fails at once
    net, _, _ = load_trained_net(checkpoint)
    return _run(evaluator, net, cfg, root, only)


def _evaluator_of(cfg) -> Callable:
    if not cfg.evaluator:
        raise ValueError(f"{cfg.id} names no evaluator in its registry entry")
    return get_evaluator(cfg.evaluator)


def _run(evaluator: Callable, model, cfg, root: str | None, only: set[str] | None) -> dict[str, float]:
    if only is None:
        return evaluator(model, cfg, root=root)
    import inspect

    if "only" not in inspect.signature(evaluator).parameters:  # it measures all its metrics in one pass
        raise ValueError(f"{cfg.id}'s evaluator ({cfg.evaluator}) recomputes all its metrics together; "
                         "run it without --only")
    return evaluator(model, cfg, root=root, only=only)
