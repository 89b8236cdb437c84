r"""Classification accuracy over a subset of nodes (semi-supervised node classification, Kipf & Welling 2017).

For logits :math:`Z \in \mathbb R^{n \times C}`, labels :math:`y` and a boolean node mask :math:`M` (the split's
nodes), the accuracy is the fraction of masked nodes whose arg-max class is their label,

.. math:: \mathrm{acc} = \frac{1}{|M|} \sum_{i \in M} [\arg\max_c Z_{ic} = y_i],

reported in percent as in Kipf & Welling, Table 2 (the same number on the card, in ``zoo eval`` and in the
training log, see :mod:`zoo.metrics`). ``torchmetrics``' multiclass accuracy with micro averaging is the same
number; this one-liner needs no class count and no state.
"""

from __future__ import annotations

import torch
from torch import Tensor


def masked_accuracy(logits: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """The fraction (a float32 scalar tensor) of ``mask``'s nodes whose arg-max logit is their label."""
    return (logits[mask].argmax(-1) == target[mask]).float().mean()


def node_classification_metrics(logits: Tensor, target: Tensor, mask: Tensor) -> dict[str, float | Tensor]:
    """``{"accuracy": percent, "loss": cross-entropy}`` over the masked nodes. The percentage is a Python float,
    100 times the float32 fraction in double precision, so the card, ``zoo eval`` and the log agree to the bit."""
    return {"accuracy": float(masked_accuracy(logits, target, mask)) * 100,
            "loss": torch.nn.functional.cross_entropy(logits[mask], target[mask])}
