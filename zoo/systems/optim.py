"""Optimisers as the systems build them: Adam fused into one kernel per step on a GPU.

``torch.optim.Adam(fused=True)`` updates every parameter of a group in a single CUDA kernel instead of a few
kernels per parameter tensor; for the zoo's small models (DCGAN-28 has 18 tensors per network) the optimiser's
launches are a visible part of a GPU step. The arithmetic is Adam's (Kingma & Ba 2015, Algorithm 1) either way;
on the CPU torch's default implementation is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch


def adam(params: Iterable[Any], device: torch.device | str, **kwargs: Any) -> torch.optim.Adam:
    """``torch.optim.Adam(params, **kwargs)``, fused when ``device`` is a CUDA device."""
    fused = True if torch.device(device).type == "cuda" else None
    return torch.optim.Adam(params, fused=fused, **kwargs)
