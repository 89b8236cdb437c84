"""``zoo eval`` for node classifiers on Planetoid: test accuracy (%) on the public split."""

from __future__ import annotations

import torch

from zoo.data.planetoid import load_planetoid
from zoo.evaluation import register_evaluator


@register_evaluator("planetoid-accuracy")
def planetoid_accuracy(model, cfg, root=None) -> dict[str, float]:
    data = load_planetoid(cfg.dataset, root)
    model.eval()
    with torch.no_grad():
        pred = model(data.x, data.edge_index).argmax(-1)
    correct = (pred[data.test_mask] == data.y[data.test_mask]).float().mean()
    return {"test_accuracy": float(correct) * 100}
