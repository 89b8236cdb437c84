"""The shipped ``nn.Module`` families, one file each (gcn.py, dcgan.py, ...).

Importing this package imports every family module in it, so their ``@register_model`` decorators run;
a new family needs no edit here. Nothing in this package imports Lightning.
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
