"""Hyper-parameters that changed name or moved to a callback, still understood under their old names.

A system may declare two maps:

- ``RENAMED_HPARAMS = {old: new}``: the same option under a name that says what it is (``lr_g`` ->
  ``generator_lr``). The old name is accepted everywhere, with a ``FutureWarning`` naming the new one: in
  Python, in a Lightning checkpoint's saved hyper-parameters (``load_from_checkpoint``, resuming a run) and in a
  recipe or a ``--model.init_args.OLD=...`` override of ``zoo train`` (rewritten before LightningCLI parses it).
- ``MOVED_TO_CALLBACKS = {old: (callback class path, its init arg)}``: monitoring that left the system for
  :mod:`zoo.callbacks`. In Python and in checkpoints the old value is dropped with a warning (a trained system
  loads without its monitoring). In a recipe or override it is refused with a one-line error naming the callback
  and what to write in ``trainer.callbacks``: translating it silently would have to guess the old implicit
  defaults (grids every epoch even when unset) and merge into a callback list the recipe may already have.
  An ``*_every_n_epochs: 0`` ("never") is the exception: off is the new default, so it is dropped with a warning.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

MODEL_ARG = "--model.init_args."


def _renamed(system: type) -> Mapping[str, str]:
    return getattr(system, "RENAMED_HPARAMS", {})


def _moved(system: type) -> Mapping[str, tuple[str, str]]:
    return getattr(system, "MOVED_TO_CALLBACKS", {})


def _warn(message: str) -> None:
    warnings.warn(message, FutureWarning, stacklevel=4)


def upgrade_init_args(system: type, args: dict[str, Any], old: Mapping[str, Any]) -> dict[str, Any]:
    """``args`` (the new-named constructor arguments) updated from ``old`` (the ``**kwargs`` a constructor got).

    A renamed argument's value wins over the new name's: a paper subclass always passes its default under the
    new name, so the old name is what the caller (or an old checkpoint) actually asked for.
    """
    args = dict(args)
    for name, value in old.items():
        if name in _renamed(system):
            new = _renamed(system)[name]
            _warn(f"{system.__name__}: {name!r} is now called {new!r}; the old name still works but will be removed")
            args[new] = value
        elif name in _moved(system):
            callback, arg = _moved(system)[name]
            _warn(f"{system.__name__}: {name!r} is ignored; it moved to the callback {callback} ({arg}), "
                  "configured in the recipe's trainer.callbacks")
        else:
            raise TypeError(f"{system.__name__} got an unexpected keyword argument {name!r}")
    return args


def system_class(config: Mapping[str, Any], overrides: Sequence[str] = ()) -> type | None:
    """The system class a recipe names (``model.class_path``, or a ``--model.class_path=`` override), if importable."""
    model = config.get("model") if isinstance(config, Mapping) else None
    path = model.get("class_path") if isinstance(model, Mapping) else None
    for arg in overrides:
        if arg.startswith(("--model.class_path=", "--model=")) and "." in arg.split("=", 1)[1]:
            path = arg.split("=", 1)[1]
    if not isinstance(path, str) or "." not in path:
        return None
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None  # LightningCLI says what is wrong with the class path


def _moved_error(system: type, name: str, where: str) -> ValueError:
    callback, arg = _moved(system)[name]
    return ValueError(f"{where}{name} moved out of {system.__name__} into the callback {callback}: remove it and "
                      f"add to the recipe's trainer.callbacks `- class_path: {callback}` with `init_args: {{{arg}: "
                      f"...}}` (see recipes/gan/nsgan-mnist.yaml)")


def _is_off(name: str, value: Any) -> bool:
    return name.endswith("every_n_epochs") and str(value).strip() in ("0", "0.0")


def upgrade_recipe(config: dict[str, Any], overrides: Sequence[str]) -> tuple[dict[str, Any], list[str], bool]:
    """A recipe's parsed content and its ``zoo train`` overrides with renamed options under their new names.

    Returns ``(config, overrides, changed)``; the input is not modified. Raises ``ValueError`` for an option that
    moved to a callback (see the module docstring).
    """
    system = system_class(config, overrides)
    if system is None or not (_renamed(system) or _moved(system)):
        return config, list(overrides), False
    changed = False
    init_args = dict((config.get("model") or {}).get("init_args") or {})
    for name in list(init_args):
        if name in _moved(system):
            if not _is_off(name, init_args[name]):
                raise _moved_error(system, name, "model.init_args.")
            _warn(f"model.init_args.{name}: 0 is the default now (no {_moved(system)[name][0]} in "
                  "trainer.callbacks); remove the line")
            del init_args[name]
            changed = True
        elif name in _renamed(system):
            new = _renamed(system)[name]
            _warn(f"model.init_args.{name} is now called {new}; rename it in the recipe")
            init_args[new] = init_args.pop(name)
            changed = True
    upgraded_overrides = []
    for arg in overrides:
        key, eq, value = arg.partition("=")
        name = key[len(MODEL_ARG):] if key.startswith(MODEL_ARG) else None
        if name in _moved(system):
            if not (eq and _is_off(name, value)):
                raise _moved_error(system, name, MODEL_ARG)
            _warn(f"{key}=0 is the default now; drop the option")
            changed = True
            continue
        if name in _renamed(system):
            _warn(f"{key} is now {MODEL_ARG}{_renamed(system)[name]}")
            arg = f"{MODEL_ARG}{_renamed(system)[name]}{eq}{value}"
            changed = True
        upgraded_overrides.append(arg)
    if not changed:
        return config, list(overrides), False
    config = {**config, "model": {**config["model"], "init_args": init_args}}
    return config, upgraded_overrides, True
