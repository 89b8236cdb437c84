"""The shipped ``nn.Module`` families, one file each (gcn.py, dcgan.py, ...).

Families are imported on demand, so that loading a GAN does not pay for torch_geometric: the registry asks
:func:`import_family` for the one file that registers an architecture, named in :data:`FAMILY_OF`, and
:func:`import_all` when it needs every name. A new architecture gets a line in :data:`FAMILY_OF`
(``tests/test_cold_start.py`` checks that the table and the ``@register_model`` decorators agree).
Nothing in this package imports Lightning.
"""

from __future__ import annotations

import importlib
import pkgutil

FAMILY_OF = {  # architecture -> the module of this package whose @register_model registers it
    "aae_binary": "aae", "aae_latent_discriminator": "aae", "aae_smiles": "aae",
    "dcgan_discriminator": "dcgan", "dcgan_generator": "dcgan",
    "binary_gan_discriminator": "gan_mlp", "binary_gan_generator": "gan_mlp",
    "gcn": "gcn",
    "mpnn": "mpnn",
    "ecfp_mlp": "nfp", "nfp": "nfp",
}


def import_family(architecture: str) -> bool:
    """Import the family that registers ``architecture``; False when :data:`FAMILY_OF` does not name it."""
    module = FAMILY_OF.get(architecture)
    if module is None:
        return False
    importlib.import_module(f"{__name__}.{module}")
    return True


def import_all() -> None:
    """Import every family module, so every ``@register_model`` decorator has run."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
