"""``zoo eval`` for the molecule regressors: test metrics recomputed on the real data.

- ``moleculenet-regression``: RMSE and MAE on the test split of a MoleculeNet set; the set, featurizer, split
  kind and split seed come from the entry's ``extra`` (``dataset``, ``featurizer``, ``split``, ``split_seed``).
- ``qm9-regression``: MAE per target (PyG units) and Gilmer's error ratio MAE / chemical accuracy on the
  10,000-molecule test split of ``zoo.data.qm9`` (seed ``extra["split_seed"]``, default 0); targets from
  ``extra["targets"]``.

Both compute with :func:`zoo.metrics.regression.regression_metrics`, the function training logs with, and name
the results as the cards do (:mod:`zoo.metrics`): ``test_rmse``, ``test_mae`` (MoleculeNet); ``test_mae_<target>``,
``test_rmse_<target>``, ``test_error_ratio_<target>`` and the means ``test_mae``, ``test_rmse`` (QM9).

``zoo eval`` shows its stages (:mod:`zoo.progress`): loading the featurised set (minutes on a first run, which
builds the cache) and the predictions (QM9's 10,000 test molecules take minutes on a CPU).
"""

from __future__ import annotations

import torch

from zoo.evaluation import register_evaluator
from zoo.metrics import card_names
from zoo.metrics.regression import regression_metrics
from zoo.progress import stage, step


@torch.no_grad()
def predict(model: torch.nn.Module, loader, progress: str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Predictions and targets (physical units) over a loader of PyG batches; ``progress`` names the stage shown
    (:func:`zoo.progress.stage`; None: silent)."""
    model.eval()
    device = next(iter(model.buffers())).device
    preds, targets = [], []
    with stage(progress, len(loader.dataset), "mol") as bar:
        for batch in loader:
            batch = batch.to(device)
            out = model(batch)
            preds.append(out.cpu())
            targets.append(batch.y.view_as(out).cpu())
            bar.update(batch.num_graphs)
    return torch.cat(preds), torch.cat(targets)


def moleculenet_test_metrics(model: torch.nn.Module, dataset: str, featurizer: str, split: str = "random",
                             seed: int = 0, root: str | None = None, subset: str = "test",
                             progress: bool = False) -> dict[str, float]:
    """RMSE and MAE on a split of a MoleculeNet set; ``progress``: loading and predicting are stages."""
    from zoo.data.moleculenet import MoleculeNetDataModule

    dm = MoleculeNetDataModule(dataset=dataset, root=root, featurizer=featurizer, split=split, seed=seed,
                               batch_size=256)
    with step(f"{dataset}: reading and featurising ({featurizer})" if progress else None):
        dm.setup()
    pred, y = predict(model, dm._loader(subset), f"{dataset}: predicting the {subset} split" if progress else None)
    metrics = regression_metrics(pred, y, dm.target_names)
    return card_names(subset, {name: metrics[name].item() for name in ("rmse", "mae")})


def qm9_test_metrics(model: torch.nn.Module, targets: list[int], root: str | None = None, seed: int = 0,
                     subset: str = "test", batch_size: int = 128, num_workers: int = 0,
                     max_molecules: int | None = None, progress: bool = False) -> dict[str, float]:
    """MAE, RMSE and error ratio per target on a QM9 split; ``max_molecules`` (smoke tests only) takes its first N;
    ``progress``: loading the graphs (a first run parses the CSV) and predicting are stages."""
    from torch.utils.data import Subset
    from torch_geometric.loader import DataLoader

    from zoo.data.qm9 import CHEMICAL_ACCURACY, TARGET_NAMES, QM9DataModule

    dm = QM9DataModule(root=root, targets=targets, batch_size=batch_size, seed=seed, num_workers=num_workers)
    with step(f"QM9: loading the {subset} split" if progress else None):
        dataset = dm.dataset(subset)
    if max_molecules:
        dataset = Subset(dataset, range(min(max_molecules, len(dataset))))
    pred, y = predict(model, DataLoader(dataset, batch_size=batch_size, num_workers=num_workers),
                      f"QM9: predicting the {subset} split" if progress else None)
    accuracy = [CHEMICAL_ACCURACY.get(t, float("nan")) for t in targets]
    metrics = regression_metrics(pred, y, [TARGET_NAMES[t] for t in targets], accuracy)
    return card_names(subset, {name: value.item() for name, value in metrics.items()})


@register_evaluator("moleculenet-regression")
def evaluate_moleculenet(model, cfg, root=None) -> dict[str, float]:
    extra = cfg.extra
    return moleculenet_test_metrics(model, extra["dataset"], extra["featurizer"], extra.get("split", "random"),
                                    int(extra.get("split_seed", 0)), root, progress=True)


@register_evaluator("qm9-regression")
def evaluate_qm9(model, cfg, root=None) -> dict[str, float]:
    extra = cfg.extra
    return qm9_test_metrics(model, list(extra["targets"]), root, int(extra.get("split_seed", 0)), progress=True)
