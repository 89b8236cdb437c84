"""Which classes a recipe may name: only those in ``zoo`` and the libraries it documents, checked before any import.

A recipe (and every ``--key=value`` after ``zoo train RECIPE``) is input: LightningCLI imports whatever a
``class_path`` names, and a dotted string given where it expects a class or a callable, so a recipe naming
``somepkg.Thing`` with a ``somepkg.py`` in the working directory would run that file. :func:`check_names` reads
the parsed recipe, the overrides and any YAML file an override names (LightningCLI reads those too) without
importing anything, and refuses a ``class_path`` outside :data:`ALLOWED_ROOTS`, or any other dotted name whose
first part Python could import (``os.system``); a dotted text that names no module (``best.ckpt``) stays text.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

ALLOWED_ROOTS = ("zoo", "lightning", "torch", "torch_geometric", "torchmetrics")
DOTTED = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)+")
CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
MAX_DEPTH = 3  # a config file naming a config file ...: deeper than this is refused


class ForeignClassError(ValueError):
    """A recipe or override naming a class or function outside the zoo and the libraries it documents."""


def check_names(recipe: Path, content: Any, overrides: Sequence[str] = (), trusted: Sequence[str] = ()) -> None:
    """Raise :class:`ForeignClassError` (one line naming the value and where it is) if the recipe's parsed
    ``content`` or ``overrides`` name a class or function outside :data:`ALLOWED_ROOTS` and ``trusted`` (packages a
    Python caller of :func:`zoo.training.fit` vouches for, such as ``bench``; never taken from input)."""
    roots = (*ALLOWED_ROOTS, *trusted)
    for where, key, value in _strings(content, f"recipe {recipe}"):
        _check(where, key, value, roots)
    for where, key, value in _override_values(overrides):
        _check(where, key, value, roots)


def _check(where: str, key: str, value: str, roots: Sequence[str] = ALLOWED_ROOTS) -> None:
    root = value.split(".", 1)[0]
    if root in roots:
        return
    if key == "class_path":  # strict; a bare identifier is LightningCLI's shorthand for a class already imported
        foreign = not value.isidentifier()
    else:
        foreign = bool(DOTTED.fullmatch(value)) and _importable(root)
    if foreign:
        raise ForeignClassError(
            f"{where} names {value!r}: a recipe may name only classes in {', '.join(ALLOWED_ROOTS)} (nothing else "
            "is imported); use the zoo's systems, datamodules and callbacks, or Lightning's")


def _importable(module: str) -> bool:
    """Whether ``import module`` would find something (the finders look; nothing is run)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # e.g. "__main__" without a spec: treated as importable, so refused
        return True


def _strings(value: Any, source: str, keys: tuple[str, ...] = (), depth: int = 0) -> Iterator[tuple[str, str, str]]:
    """Every string in a parsed config as ``(where, key, text)``: ``where`` is ``source`` and the key path,
    ``key`` the last key. A string naming a config file (``.yaml``, ``.yml``, ``.json``) is followed into it."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, source, (*keys, str(k)), depth)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, source, keys, depth)
    elif isinstance(value, str):
        where = f"{source}: {'.'.join(keys)}" if keys else source
        yield where, keys[-1] if keys else "", value
        path = Path(value)
        if value.endswith(CONFIG_SUFFIXES) and path.is_file():
            if depth >= MAX_DEPTH:
                raise ForeignClassError(f"{where} names the config file {value}, nested more than {MAX_DEPTH} deep")
            yield from _strings(_parse(path.read_text(errors="replace")), f"{value} (named by {where})",
                                depth=depth + 1)


def _override_values(overrides: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """The values of ``--key=value`` and ``--key value`` overrides, parsed as LightningCLI parses them (YAML)."""
    for i, arg in enumerate(overrides):
        if arg.startswith("--") and "=" in arg:
            key, text = arg[2:].split("=", 1)
        elif not arg.startswith("--") and i > 0 and overrides[i - 1].startswith("--"):
            key, text = overrides[i - 1][2:], arg
        else:
            continue
        yield from _strings(_parse(text), "command line", tuple(key.rstrip("+").split(".")))


def _parse(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return text
