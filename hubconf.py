"""torch.hub entry points: every shipped zoo id, loadable without installing the zoo.

As for FAIR's pytorch_GAN_zoo, a clone of the repository is enough::

    import torch
    faces = torch.hub.load("/path/to/clone", "wgan_gp_celeba", source="local")
    torch.hub.list("/path/to/clone", source="local")                       # every entry point

The repository is not published yet (``pyproject.toml``'s ``[project.urls]`` has no URL, see :mod:`zoo.project`);
once it is, ``torch.hub.load("OWNER/NAME", "wgan_gp_celeba")`` loads from GitHub the same way.

There is one entry point per id in the registry (``zoo/pretrained/<id>.json``), named after the id with ``-``
replaced by ``_`` (``wgan-gp-celeba`` -> ``wgan_gp_celeba``). Each returns exactly what ``zoo.load(id)`` returns:
the shipped ``nn.Module`` in eval mode, its weights read from ``checkpoints/<id>/model.safetensors`` and checked
against the registry's sha256. ``pretrained=False`` returns the same architecture untrained. The entry points
are generated from the registry, so an id added with ``zoo export`` is here without editing this file.
"""

from __future__ import annotations

from collections.abc import Callable as _Callable

import torch.nn as _nn

# What zoo.load needs (torch.hub checks these are importable before calling an entry point).
dependencies = ["torch", "safetensors", "torch_geometric", "numpy"]


def _entry_point(model_id: str) -> _Callable[..., _nn.Module]:
    """A torch.hub entry point for ``model_id``, documented from its registry entry."""
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg(model_id)

    def entry(pretrained: bool = True) -> _nn.Module:
        import zoo

        if pretrained:
            return zoo.load(model_id)
        return zoo.create_model(cfg.architecture, **cfg.model_args)

    first = cfg.metrics[0] if cfg.metrics else None
    unit = f" {first.unit}" if first and first.unit else ""
    headline = f"    Headline: {first.name} = {first.value:.4g}{unit} ({first.split}).\n" if first else ""
    entry.__name__ = entry.__qualname__ = model_id.replace("-", "_")
    status = f"    Status: {cfg.status} (see the card).\n" if cfg.status else ""
    entry.__doc__ = (f"{cfg.method} trained on {cfg.dataset}: ``zoo.load({model_id!r})``.\n\n{status}{headline}"
                     f"    Paper: {cfg.paper}\n"
                     f"    Card: checkpoints/{model_id}/README.md; weights licence {cfg.license}.\n\n"
                     "    Args:\n"
                     "        pretrained: the shipped weights (default); False gives the architecture untrained.\n")
    return entry


def _register_all() -> None:
    from zoo.registry import list_models

    for model_id in list_models():
        globals()[model_id.replace("-", "_")] = _entry_point(model_id)


_register_all()
