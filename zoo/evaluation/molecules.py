"""``zoo eval`` for the molecule regressors: test metrics recomputed on the real data.

- ``moleculenet``: RMSE and MAE on the test split of a MoleculeNet set; the set, featurizer, split kind and
  split seed come from the entry's ``extra`` (``dataset``, ``featurizer``, ``split``, ``split_seed``).
- ``qm9``: MAE per target (PyG units) and Gilmer's error ratio MAE / chemical accuracy on the 10,000-molecule
  test split of ``zoo.data.qm9`` (seed ``extra["split_seed"]``, default 0); targets from ``extra["targets"]``.

Metric names: ``test_rmse``, ``test_mae`` (MoleculeNet); ``test_mae_<target>``, ``error_ratio_<target>`` (QM9).
"""

from __future__ import annotations

import torch

from zoo.evaluation import register_evaluator


@torch.no_grad()
def predict(model: torch.nn.Module, loader) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions and targets (physical units) over a loader of PyG batches."""
    model.eval()
    device = next(iter(model.buffers())).device
    preds, targets = [], []
    for batch in loader:
        batch = batch.to(device)
        out = model(batch)
        preds.append(out.cpu())
        targets.append(batch.y.view_as(out).cpu())
    return torch.cat(preds), torch.cat(targets)


def moleculenet_test_metrics(model: torch.nn.Module, dataset: str, featurizer: str, split: str = "random",
                             seed: int = 0, root: str | None = None, subset: str = "test") -> dict[str, float]:
    from zoo.data.moleculenet import MoleculeNetDataModule

    dm = MoleculeNetDataModule(dataset=dataset, root=root, featurizer=featurizer, split=split, seed=seed,
                               batch_size=256)
    dm.setup()
    pred, y = predict(model, dm._loader(subset))
    error = pred - y
    return {f"{subset}_rmse": error.pow(2).mean().sqrt().item(), f"{subset}_mae": error.abs().mean().item()}


def qm9_test_metrics(model: torch.nn.Module, targets: list[int], root: str | None = None, seed: int = 0,
                     subset: str = "test", batch_size: int = 128, num_workers: int = 0,
                     max_molecules: int | None = None) -> dict[str, float]:
    """MAE and error ratio per target on a QM9 split; ``max_molecules`` (smoke tests only) takes its first N."""
    from torch.utils.data import Subset
    from torch_geometric.loader import DataLoader

    from zoo.data.qm9 import CHEMICAL_ACCURACY, TARGET_NAMES, QM9DataModule

    dm = QM9DataModule(root=root, targets=targets, batch_size=batch_size, seed=seed, num_workers=num_workers)
    dataset = dm.dataset(subset)
    if max_molecules:
        dataset = Subset(dataset, range(min(max_molecules, len(dataset))))
    pred, y = predict(model, DataLoader(dataset, batch_size=batch_size, num_workers=num_workers))
    mae = (pred - y).abs().mean(0)
    out = {}
    for i, t in enumerate(targets):
        name = TARGET_NAMES[t]
        out[f"{subset}_mae_{name}"] = mae[i].item()
        if t in CHEMICAL_ACCURACY:
            out[f"error_ratio_{name}"] = mae[i].item() / CHEMICAL_ACCURACY[t]
    return out


@register_evaluator("moleculenet")
def evaluate_moleculenet(model, cfg, root=None) -> dict[str, float]:
    extra = cfg.extra
    return moleculenet_test_metrics(model, extra["dataset"], extra["featurizer"], extra.get("split", "random"),
                                    int(extra.get("split_seed", 0)), root)


@register_evaluator("qm9")
def evaluate_qm9(model, cfg, root=None) -> dict[str, float]:
    extra = cfg.extra
    return qm9_test_metrics(model, list(extra["targets"]), root, int(extra.get("split_seed", 0)))
