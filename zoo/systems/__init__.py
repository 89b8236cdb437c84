"""LightningModules: how each shipped ``nn.Module`` (kept in the attribute ``net``) is trained."""

from __future__ import annotations

from typing import Any

from torch import nn

from zoo.hub import load_state_into
from zoo.registry import create_model


def build_net(architecture: str, model_args: dict[str, Any] | None = None, init_from: str | None = None) -> nn.Module:
    """A system's shipped network: ``architecture`` built with ``model_args``, its weights then copied from the
    zoo id ``init_from`` when one is given (a recipe's fine-tuning option, the same in every system)."""
    net = create_model(architecture, **dict(model_args or {}))
    return load_state_into(net, init_from) if init_from else net
