"""How large a model would be, found before any of it is allocated.

A checkpoint's ``config.json`` (a Hub repo's above all) is input: ``model_args`` such as
``{"hidden_channels": 1000000000}`` would make the constructor allocate terabytes before any other check could
run. :func:`check_model_size` builds the model on PyTorch's ``meta`` device (``with torch.device("meta")``, the
public way to build a module whose tensors have shapes but no storage), counts its parameters and buffers, and
refuses more than :data:`MAX_PARAMETERS`. Any single number in ``model_args`` above that cap is refused before
even the meta build, since no width or count of a loadable model can exceed it (and a loop of that many layers
would take hours to build, on any device).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# The largest shipped model, wgan-gp-celeba's generator, has 3.6 M parameters (and 1,924 buffer values); the cap
# is about 28 times that: 100 M parameters, 400 MB of float32 weights.
MAX_PARAMETERS = 100_000_000


class ModelTooLargeError(ValueError):
    """``model_args`` describe a model over :data:`MAX_PARAMETERS`; the message gives the count."""


def _numbers(value: Any, where: str) -> Iterator[tuple[str, float]]:
    """Every number in a JSON value, with where it sits (``hidden[1]``)."""
    if isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _numbers(item, f"{where}[{i}]")


def parameter_count(architecture: str, model_args: dict[str, Any]) -> int:
    """Parameters plus buffer values of ``create_model(architecture, **model_args)``, built on the ``meta``
    device (no memory is allocated for them)."""
    import torch

    from zoo.registry import create_model

    with torch.device("meta"):
        model = create_model(architecture, **model_args)
    return sum(t.numel() for t in model.parameters()) + sum(t.numel() for t in model.buffers())


def check_model_size(architecture: str, model_args: dict[str, Any], max_parameters: int = MAX_PARAMETERS) -> int:
    """The parameter count of the model ``model_args`` describe; :class:`ModelTooLargeError` when it (or any number
    in ``model_args``) is over ``max_parameters``. Constructor errors (``TypeError``, ``ValueError``, unknown
    architecture) propagate as the real constructor would raise them."""
    for where, number in _numbers(model_args, ""):
        if abs(number) > max_parameters:
            raise ModelTooLargeError(f"model_args {where} = {number:,} is larger than any model the zoo loads (at most "
                                     f"{max_parameters:,} parameters); it cannot describe a real checkpoint")
    count = parameter_count(architecture, model_args)
    if count > max_parameters:
        raise ModelTooLargeError(f"model_args describe a {architecture!r} model of {count:,} parameters, more than "
                                 f"the {max_parameters:,} the zoo loads; it cannot describe a real checkpoint")
    return count
