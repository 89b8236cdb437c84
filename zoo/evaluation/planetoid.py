"""``zoo eval`` for node classifiers on Planetoid: test accuracy (%) on the public split, computed by
:func:`zoo.metrics.classification.node_classification_metrics` (what training logs as ``test/accuracy``)."""

from __future__ import annotations

import torch

from zoo.data.planetoid import load_planetoid
from zoo.evaluation import register_evaluator
from zoo.metrics import card_names
from zoo.metrics.classification import node_classification_metrics


@register_evaluator("planetoid-accuracy")
def planetoid_accuracy(model, cfg, root=None) -> dict[str, float]:
    data = load_planetoid(cfg.dataset, root)
    model.eval()
    with torch.no_grad():
        logits = model(data.x, data.edge_index)
    metrics = node_classification_metrics(logits, data.y, data.test_mask)
    return card_names("test", {name: float(value) for name, value in metrics.items()})
