"""The shipped ``nn.Module`` families, one file each (gcn.py, dcgan.py, ...).

Families are imported on demand, so that loading a GAN does not pay for torch_geometric: the registry asks
:func:`import_family` for the one file whose ``@register_model("<name>")`` line names the architecture (found by
reading the sources, so a new family needs no edit here), and :func:`import_all` when it needs every name.
Nothing in this package imports Lightning.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache
from pathlib import Path

_REGISTRATION = re.compile(r"""@register_model\(\s*["']([^"']+)["']""")


@lru_cache(maxsize=1)
def _family_index() -> dict[str, str]:
    """``{architecture name: family module name}`` read from the ``@register_model`` lines of each file."""
    index: dict[str, str] = {}
    for module in pkgutil.iter_modules(__path__):
        source = Path(__path__[0], f"{module.name}.py")
        if source.is_file():
            for name in _REGISTRATION.findall(source.read_text(encoding="utf-8")):
                index.setdefault(name, module.name)
    return index


def import_family(architecture: str) -> bool:
    """Import the family that registers ``architecture``; False when no file names it."""
    module = _family_index().get(architecture)
    if module is None:
        return False
    importlib.import_module(f"{__name__}.{module}")
    return True


def import_all() -> None:
    """Import every family module, so every ``@register_model`` decorator has run."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
