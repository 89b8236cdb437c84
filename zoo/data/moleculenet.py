"""MoleculeNet regression sets (ESOL, FreeSolv, Lipophilicity) as LightningDataModules.

Files under ``<data root>/moleculenet/`` (MoleculeNet's own CSVs, see the README's Data section):

=============  ======================  ===============================================  ==================
dataset        file                    target column                                    unit
=============  ======================  ===============================================  ==================
esol           esol.csv                measured log solubility in mols per litre        log10(mol/L)
freesolv       freesolv.csv            expt (hydration free energy)                     kcal/mol
lipophilicity  lipophilicity.csv       exp (octanol/water distribution coefficient)     logD
=============  ======================  ===============================================  ==================

Featurizers: ``"nfp"`` (Duvenaud atom/bond features, implicit H), ``"ecfp"`` (Morgan radius-2 bits),
``"mpnn"`` (Gilmer features with explicit H and an RDKit ETKDG + MMFF conformer for the distances; cached in
``$ZOO_CACHE_DIR``; a copy of that cache file under ``<data root>/moleculenet/`` is read first, which lets a machine
without RDKit train on it). Molecules that cannot be featurized are skipped with a warning that names them by row.

Splits, deterministic and computed on the rows of the CSV (so every featurizer sees the same molecules in the
same split, minus its own skipped rows):

- ``random`` (default): rows permuted with ``numpy.random.default_rng(seed)``, then 80 / 10 / 10 %;
- ``scaffold``: Bemis-Murcko scaffolds (RDKit), groups sorted largest first; a group goes to train while it fits
  in 80 %, else to validation while train + validation fit in 90 %, else to test (DeepChem's
  ``ScaffoldSplitter``, as in MoleculeNet; ``seed`` is not used).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from zoo.data.graph_splits import GraphSplitDataModule
from zoo.chem import (
    featurize_many,
    graph_from_smiles,
    graph_to_data,
    mol_from_smiles,
    morgan_fingerprint,
    nfp_graph,
)
from zoo.data.raw_files import read_csv as read_raw_csv
from zoo.data.root import data_root, require_path
from zoo.io import atomic_path, cache_dir, first_line

DATASETS = {
    "esol": ("esol.csv", "smiles", "measured log solubility in mols per litre", "log solubility",
             "log10(mol/L)"),
    "freesolv": ("freesolv.csv", "smiles", "expt", "hydration free energy", "kcal/mol"),
    "lipophilicity": ("lipophilicity.csv", "smiles", "exp", "logD", "logD"),
}
SOURCE = "MoleculeNet (Wu et al. 2018, https://moleculenet.org)"
FEATURIZERS = ("nfp", "ecfp", "mpnn")
MAX_ROWS = 100_000  # a larger CSV is refused (the largest set, Lipophilicity, has 4,200 rows)


def read_csv(name: str, root: str | None = None) -> tuple[list[str], np.ndarray]:
    """``(smiles, targets)`` of a MoleculeNet CSV, in file order. A header without the SMILES or target column,
    a short row, or a target that is empty, not a number, NaN or infinite is a one-line
    :class:`~zoo.data.raw_files.DataFileError` naming the file and its lines."""
    if name not in DATASETS:
        raise ValueError(f"unknown MoleculeNet set {name!r}; choose one of {sorted(DATASETS)}")
    file, smiles_col, target_col, _, _ = DATASETS[name]
    path = require_path(data_root(root) / "moleculenet" / file, f"MoleculeNet {name}", SOURCE)
    table = read_raw_csv(path, (smiles_col, target_col), SOURCE, max_rows=MAX_ROWS)
    return [r[smiles_col].strip() for r in table.rows], table.floats(target_col).astype(np.float32)


def random_split(n: int, seed: int = 0, fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    n_train, n_val = round(fractions[0] * n), round(fractions[1] * n)
    return {"train": np.sort(perm[:n_train]), "val": np.sort(perm[n_train:n_train + n_val]),
            "test": np.sort(perm[n_train + n_val:])}


def scaffold_split(smiles: Sequence[str], fractions: Sequence[float] = (0.8, 0.1, 0.1)) -> dict[str, np.ndarray]:
    """Bemis-Murcko scaffold split: scaffold groups, largest first, fill train, then val, then test."""
    from rdkit.Chem.Scaffolds import MurckoScaffold

    groups: dict[str, list[int]] = {}
    for i, s in enumerate(smiles):
        try:
            key = MurckoScaffold.MurckoScaffoldSmiles(mol=mol_from_smiles(s), includeChirality=False)
        except ValueError:
            key = f"unparsable-{i}"  # dropped later by the featurizer; keep the split well defined
        groups.setdefault(key, []).append(i)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), g[0]))
    n = len(smiles)
    split = {"train": [], "val": [], "test": []}
    train_cutoff, val_cutoff = fractions[0] * n, (fractions[0] + fractions[1]) * n
    for group in ordered:  # as DeepChem's ScaffoldSplitter: once train is full, groups go to val, then test
        if len(split["train"]) + len(group) > train_cutoff:
            if len(split["train"]) + len(split["val"]) + len(group) > val_cutoff:
                split["test"] += group
            else:
                split["val"] += group
        else:
            split["train"] += group
    return {k: np.array(sorted(v), np.int64) for k, v in split.items()}


def featurize_smiles(smiles: Sequence[str], featurizer: str, radius: int = 2, n_bits: int = 2048,
                     seed: int = 0) -> tuple[list[Data], list[int]]:
    """PyG ``Data`` per molecule (without ``y``) and the indices that were kept."""
    if featurizer == "nfp":
        return featurize_many(smiles, lambda s: Data(**nfp_graph(s)))
    if featurizer == "ecfp":
        return featurize_many(smiles, lambda s: Data(fp=morgan_fingerprint(s, radius, n_bits).unsqueeze(0),
                                                     num_nodes=1))
    if featurizer == "mpnn":
        return featurize_many(smiles, lambda s: graph_to_data(graph_from_smiles(s, seed=seed)))
    raise ValueError(f"unknown featurizer {featurizer!r}; choose one of {FEATURIZERS}")


def _cache_path(name: str, featurizer: str, smiles: Sequence[str]) -> Path:
    """Keyed by the SMILES themselves (the featurization depends on nothing else); ``v2``: tensors only."""
    digest = hashlib.sha256("\n".join(smiles).encode()).hexdigest()[:12]
    return cache_dir() / f"moleculenet_{name}_{featurizer}_{digest}_v2.pt"


def save_featurized(path: Path, items: Sequence[Data], kept: Sequence[int]) -> None:
    """Write featurized molecules as plain tensors (``torch.save`` of dicts and lists, no class objects), so
    reading them back needs no pickle."""
    payload = {"items": [{k: v for k, v in d.to_dict().items()} for d in items], "kept": [int(k) for k in kept]}
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(payload, tmp)


def load_featurized(path: Path) -> tuple[list[Data], list[int]] | None:
    """Read what :func:`save_featurized` wrote with ``torch.load(weights_only=True)``, which builds only tensors
    and plain containers, so a file planted in the data root or cache cannot run code. A file that is not in
    this format is ignored (None) with a warning, and the molecules are featurized again."""
    import warnings

    try:
        cached = torch.load(path, map_location="cpu", weights_only=True)
        items = [Data(**d) for d in cached["items"]]
        kept = [int(k) for k in cached["kept"]]
        if len(items) != len(kept):
            raise ValueError(f"{len(items)} molecules but {len(kept)} indices")
    except Exception as err:  # noqa: BLE001 - any unreadable or foreign file: recompute instead
        first = first_line(err)
        warnings.warn(f"ignoring {path}: not a featurized-molecules file the zoo can read safely ({first})",
                      stacklevel=2)
        return None
    return items, kept


class MoleculeNetDataModule(GraphSplitDataModule):
    """ESOL / FreeSolv / Lipophilicity for graph regression.

    Args:
        dataset: "esol", "freesolv" or "lipophilicity".
        root: data root (``$ZOO_DATA_ROOT`` by default).
        featurizer: "nfp", "ecfp" or "mpnn" (must fit the model being trained).
        split: "random" (80/10/10 with ``seed``) or "scaffold".
        seed: seed of the random split.
        batch_size, num_workers: loader settings.
        limit: use only the first ``limit`` rows (tests and debug recipes).
        fingerprint_bits, fingerprint_radius: Morgan fingerprint size and radius (featurizer "ecfp").
        device_resident: keep the splits on the training device and batch them there (:mod:`zoo.data.device`).
    """

    def __init__(self, dataset: str = "esol", root: str | None = None, featurizer: str = "nfp",
                 split: str = "random", seed: int = 0, batch_size: int = 100, num_workers: int = 0,
                 limit: int | None = None, fingerprint_bits: int = 2048, fingerprint_radius: int = 2,
                 device_resident: bool = False):
        super().__init__()
        if split not in ("random", "scaffold"):
            raise ValueError(f"split must be 'random' or 'scaffold', not {split!r}")
        if dataset not in DATASETS:
            raise ValueError(f"unknown MoleculeNet set {dataset!r}; choose one of {sorted(DATASETS)}")
        self.save_hyperparameters()
        self.datasets: dict[str, list[Data]] = {}

    @property
    def target_names(self) -> list[str]:
        return [DATASETS[self.hparams.dataset][3]]

    @property
    def units(self) -> list[str]:
        return [DATASETS[self.hparams.dataset][4]]

    @property
    def chemical_accuracy(self) -> list[float]:
        """None defined for these datasets: no error-ratio metrics."""
        return []

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        hp = self.hparams
        smiles, y = read_csv(hp.dataset, hp.root)
        if hp.limit:
            smiles, y = smiles[: hp.limit], y[: hp.limit]
        split = random_split(len(smiles), hp.seed) if hp.split == "random" else scaffold_split(smiles)
        items, kept = self._featurize(smiles)
        position = {row: k for k, row in enumerate(kept)}
        for name, rows in split.items():
            chosen = []
            for row in rows:
                if row in position:
                    data = items[position[row]].clone()
                    data.y = torch.tensor([[y[row]]])
                    data.idx = torch.tensor([int(row)])
                    chosen.append(data)
            self.datasets[name] = chosen

    def _featurize(self, smiles: list[str]) -> tuple[list[Data], list[int]]:
        hp = self.hparams
        if hp.featurizer != "mpnn":
            return featurize_smiles(smiles, hp.featurizer, hp.fingerprint_radius, hp.fingerprint_bits)
        path = _cache_path(self.hparams.dataset, "mpnn", smiles)  # conformers are slow: cache them
        packed = data_root(self.hparams.root) / "moleculenet" / path.name  # a packed copy (GPU machine)
        for candidate in (packed, path):
            cached = load_featurized(candidate) if candidate.is_file() else None
            if cached is not None:
                return cached
        items, kept = featurize_smiles(smiles, "mpnn")
        save_featurized(path, items, kept)
        return items, kept

    def train_targets(self) -> torch.Tensor:
        self.setup()
        return torch.cat([d.y for d in self.datasets["train"]])

    def split_dataset(self, split: str) -> list[Data]:
        self.setup()
        return self.datasets[split]
