"""QM9 (Ramakrishnan et al. 2014) with 3D geometry, targets in PyG's ``QM9`` order and units.

Raw file: ``<data root>/qm9/qm9.csv.gz`` (130,831 molecules; the 3,054 "uncharacterized" ones already
removed, as in PyG). Energies there are in Hartree; here they are converted to eV with
1 Ha = 27.211386246 eV (the CODATA value PyG uses).

=====  ===========  ==================================================  ============  ===================
index  name         meaning                                             unit          chemical accuracy
=====  ===========  ==================================================  ============  ===================
0      mu           dipole moment                                       D             0.1
1      alpha        isotropic polarizability                            bohr^3        0.1
2      homo         HOMO energy                                         eV            0.043
3      lumo         LUMO energy                                         eV            0.043
4      gap          HOMO-LUMO gap                                       eV            0.043
5      r2           electronic spatial extent                           bohr^2        1.2
6      zpve         zero point vibrational energy                       eV            0.0012
7      U0           internal energy at 0 K (total)                      eV            0.043
8      U            internal energy at 298.15 K (total)                 eV            0.043
9      H            enthalpy at 298.15 K (total)                        eV            0.043
10     G            free energy at 298.15 K (total)                     eV            0.043
11     cv           heat capacity at 298.15 K                           cal/(mol K)   0.050
12     U0_atom      atomization energy at 0 K (U0 - sum atom refs)      eV            0.043
13     U_atom       atomization energy at 298.15 K                      eV            0.043
14     H_atom       atomization enthalpy at 298.15 K                    eV            0.043
15     G_atom       atomization free energy at 298.15 K                 eV            0.043
16     A            rotational constant A                               GHz
17     B            rotational constant B                               GHz
18     C            rotational constant C                               GHz
=====  ===========  ==================================================  ============  ===================

Chemical accuracy is Gilmer et al. 2017, Table 5 (the "error ratio" is MAE / chemical accuracy).
Atomization energies (12-15) subtract the energies of the free atoms, :data:`ATOM_REFERENCE_HARTREE`, from
QM9's own ``atomref`` table (Ramakrishnan et al. 2014, figshare file ``atomref.txt``, B3LYP/6-31G(2df,p)); they
agree with PyG's ``QM9.atomrefs`` (which are these values times 27.211386246).

Featurization (:func:`zoo.chem.graph_from_xyz`): explicit hydrogens, bonds and atom chemistry from the
SMILES, positions from the DFT geometry. Molecules whose SMILES does not match their geometry are skipped and
counted in ``meta["skipped"]``: 2 of the 130,831 (QM9 indices 133857 and 133859, strained cages in which a
SMILES bond is 2.17-2.19 angstrom long in the DFT geometry), so the store holds 130,829 molecules.

Split (deterministic): the kept molecules in file order are permuted with ``numpy.random.default_rng(seed)``
(seed 0); the first 10,000 are validation, the next 10,000 test, the rest (110,829) training, as in Gilmer.

The processed store (:class:`zoo.chem.MoleculeGraphs`) is cached as ``qm9_graphs.npz`` in
``$ZOO_CACHE_DIR`` (default ``~/.cache/zoo/processed``), so only the first run parses the CSV (a few minutes).
A packed copy placed at ``<data root>/qm9/qm9_graphs.npz`` is used directly (that is how the GPU machine, which
has no RDKit, reads QM9: ``python -m zoo.data.qm9 pack .gpu/data/qm9/qm9_graphs.npz``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from zoo.data.graph_splits import GraphSplitDataModule
from zoo.chem import MoleculeError, MoleculeGraphs, featurize_many, graph_from_xyz
from zoo.data.raw_files import read_csv as read_raw_csv
from zoo.data.root import data_root, require_path
from zoo.io import cache_dir, source_key

HARTREE_TO_EV = 27.211386246
TARGET_NAMES = ("mu", "alpha", "homo", "lumo", "gap", "r2", "zpve", "U0", "U", "H", "G", "cv",
                "U0_atom", "U_atom", "H_atom", "G_atom", "A", "B", "C")
UNITS = ("D", "bohr^3", "eV", "eV", "eV", "bohr^2", "eV", "eV", "eV", "eV", "eV", "cal/(mol K)",
         "eV", "eV", "eV", "eV", "GHz", "GHz", "GHz")
CHEMICAL_ACCURACY = {0: 0.1, 1: 0.1, 2: 0.043, 3: 0.043, 4: 0.043, 5: 1.2, 6: 0.0012, 7: 0.043, 8: 0.043,
                     9: 0.043, 10: 0.043, 11: 0.050, 12: 0.043, 13: 0.043, 14: 0.043, 15: 0.043}
# Free-atom energies in Hartree for U0, U(298.15 K), H(298.15 K), G(298.15 K): QM9 atomref.txt.
ATOM_REFERENCE_HARTREE = {
    "H": (-0.500273, -0.498857, -0.497912, -0.510927),
    "C": (-37.846772, -37.845355, -37.844411, -37.861317),
    "N": (-54.583861, -54.582445, -54.581501, -54.598897),
    "O": (-75.064579, -75.063163, -75.062219, -75.079532),
    "F": (-99.718730, -99.717314, -99.716370, -99.733544),
}
CSV_PATH = "qm9/qm9.csv.gz"
PACKED_NAME = "qm9_graphs.npz"
SOURCE = "qm9pack 1.0.3 on PyPI (Ramakrishnan et al. 2014, CC BY 4.0)"
NUM_VAL = NUM_TEST = 10_000
NUMBER_COLUMNS = ("Index", "Dipole_debye", "Polarizability_bohr3", "HOMO_au", "LUMO_au", "HOMO_LUMO_gap_au",
                  "R2_bohr2", "ZPVE_au", "InternalEnergy_0K_au", "InternalEnergy_298K_au", "Enthalphy_298K_au",
                  "GibbsFreeEnergy_298K_au", "Heatcapacity_Cv_cal_mol_K", "RotA_GHz", "RotB_GHz", "RotC_GHz")
COLUMNS = ("SMILES", "Elements", "XYZ_Ang", *NUMBER_COLUMNS)  # what the parser reads from each row


def targets_of_row(row: dict, elements: Sequence[str]) -> list[float]:
    """The 19 PyG-order targets of one CSV row, in PyG units."""
    ha = lambda key: float(row[key]) * HARTREE_TO_EV
    energies = [float(row[k]) for k in ("InternalEnergy_0K_au", "InternalEnergy_298K_au", "Enthalphy_298K_au",
                                         "GibbsFreeEnergy_298K_au")]
    try:
        refs = [sum(ATOM_REFERENCE_HARTREE[e][k] for e in elements) for k in range(4)]
    except KeyError as err:
        raise MoleculeError(f"no atom reference energy for element {err}") from err
    return [float(row["Dipole_debye"]), float(row["Polarizability_bohr3"]), ha("HOMO_au"), ha("LUMO_au"),
            ha("HOMO_LUMO_gap_au"), float(row["R2_bohr2"]), ha("ZPVE_au"),
            *[e * HARTREE_TO_EV for e in energies], float(row["Heatcapacity_Cv_cal_mol_K"]),
            *[(e - r) * HARTREE_TO_EV for e, r in zip(energies, refs)],
            float(row["RotA_GHz"]), float(row["RotB_GHz"]), float(row["RotC_GHz"])]


def read_rows(path: Path, limit: int | None = None) -> list[dict]:
    """The CSV's rows (the first ``limit``). A truncated archive, a header without one of :data:`COLUMNS`, or a
    number column with an empty, non-numeric or non-finite value is a one-line
    :class:`~zoo.data.raw_files.DataFileError` naming the file (and the lines), before any molecule is parsed."""
    table = read_raw_csv(path, COLUMNS, SOURCE, limit, max_rows=200_000)  # QM9 has 130,831 rows
    for column in NUMBER_COLUMNS:
        table.floats(column)
    return table.rows


_BARE_POINT = re.compile(r"\.(?=[,\]])")


def _featurize_row(row: dict):
    import ast

    elements = ast.literal_eval(row["Elements"])
    # The file writes some numbers as "0." or "1.", which JSON does not accept: add the missing zero.
    xyz = np.array(json.loads(_BARE_POINT.sub(".0", row["XYZ_Ang"])), np.float64)
    return graph_from_xyz(row["SMILES"], elements, xyz), targets_of_row(row, elements)


def process(root: str | None = None, limit: int | None = None) -> MoleculeGraphs:
    """Parse the raw CSV into a :class:`MoleculeGraphs` (all 19 targets); ``limit`` reads the first rows only."""
    path = require_path(data_root(root) / CSV_PATH, "QM9 CSV", SOURCE)
    rows = read_rows(path, limit)
    results, kept = featurize_many(rows, _featurize_row, what="QM9 molecule")
    graphs = [g for g, _ in results]
    y = np.array([t for _, t in results], np.float32).reshape(len(results), len(TARGET_NAMES))
    ids = [int(rows[i]["Index"]) for i in kept]
    meta = {"source": str(path), "rows": len(rows), "kept": len(kept), "skipped": len(rows) - len(kept),
            "target_names": list(TARGET_NAMES), "units": list(UNITS)}
    return MoleculeGraphs.from_graphs(graphs, y, ids, meta)


def load_graphs(root: str | None = None) -> MoleculeGraphs:
    """The processed QM9 store: a packed copy under the data root, else the cache, else parse and cache.

    The cache is named after the CSV it was parsed from (its resolved path and sha256, :func:`zoo.io.source_key`),
    so another data root or an edited file is parsed again instead of being answered from an old cache."""
    packed = data_root(root) / "qm9" / PACKED_NAME
    if packed.is_file():
        return MoleculeGraphs.load(packed)
    csv_path = require_path(data_root(root) / CSV_PATH, "QM9 CSV", SOURCE)
    cached = cache_dir() / f"{Path(PACKED_NAME).stem}-{source_key(csv_path)}.npz"
    if cached.is_file():
        return MoleculeGraphs.load(cached)
    graphs = process(root)
    graphs.save(cached)
    return graphs


def split_indices(n: int, seed: int = 0, num_val: int = NUM_VAL, num_test: int = NUM_TEST) -> dict[str, np.ndarray]:
    """Deterministic random split: ``num_val`` validation, ``num_test`` test, the rest training."""
    if num_val + num_test >= n:
        raise ValueError(f"QM9 store has only {n} molecules; cannot hold out {num_val} + {num_test}")
    perm = np.random.default_rng(seed).permutation(n)
    return {"val": np.sort(perm[:num_val]), "test": np.sort(perm[num_val:num_val + num_test]),
            "train": np.sort(perm[num_val + num_test:])}


class QM9Graphs(Dataset):
    """Molecules ``index`` of a :class:`MoleculeGraphs` store as PyG ``Data`` with the chosen target columns."""

    def __init__(self, graphs: MoleculeGraphs, index: np.ndarray, targets: Sequence[int]):
        self.graphs, self.index, self.targets = graphs, np.asarray(index), list(targets)

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int):
        return self.graphs.data(int(self.index[i]), self.targets)


class QM9DataModule(GraphSplitDataModule):
    """QM9 graphs (explicit H, DFT positions) for graph regression, split 10k val / 10k test / rest train.

    Args:
        root: data root (``$ZOO_DATA_ROOT`` by default); a packed ``qm9/qm9_graphs.npz`` there is used first.
        targets: PyG target indices to predict (``[0]`` = dipole moment mu, in D). See the unit table above.
        batch_size, num_workers: loader settings.
        seed: seed of the split permutation (0 for every shipped number).
        train_subset: train on only the first ``train_subset`` molecules of the (already random) training
            split; validation and test stay complete (CPU budget runs).
        limit: read only the first ``limit`` CSV rows and hold out ``num_val`` / ``num_test`` of them (tests).
        num_val, num_test: held-out sizes (10,000 each, as in Gilmer et al.).
        device_resident: keep the splits on the training device and batch them there (GPU speed; see
            :mod:`zoo.data.device`).
    """

    def __init__(self, root: str | None = None, targets: Sequence[int] = (0,), batch_size: int = 128,
                 num_workers: int = 0, seed: int = 0, train_subset: int | None = None, limit: int | None = None,
                 num_val: int = NUM_VAL, num_test: int = NUM_TEST, device_resident: bool = False):
        super().__init__()
        bad = [t for t in targets if not 0 <= t < len(TARGET_NAMES)]
        if bad:
            raise ValueError(f"QM9 targets {bad} do not exist; choose from 0..{len(TARGET_NAMES) - 1} "
                             f"({', '.join(f'{i} {n}' for i, n in enumerate(TARGET_NAMES))})")
        self.save_hyperparameters()
        self.graphs: MoleculeGraphs | None = None
        self.splits: dict[str, np.ndarray] = {}

    @property
    def target_names(self) -> list[str]:
        return [TARGET_NAMES[t] for t in self.hparams.targets]

    @property
    def units(self) -> list[str]:
        return [UNITS[t] for t in self.hparams.targets]

    @property
    def chemical_accuracy(self) -> list[float]:
        """Per target, the error a chemist accepts (Gilmer et al. 2017, Table 5); NaN where the paper gives none."""
        return [CHEMICAL_ACCURACY.get(t, float("nan")) for t in self.hparams.targets]

    def setup(self, stage: str | None = None) -> None:
        if self.graphs is not None:
            return
        hp = self.hparams
        graphs = process(hp.root, hp.limit) if hp.limit else load_graphs(hp.root)
        kept = graphs.meta.get("targets_kept")
        missing = [t for t in hp.targets if kept is not None and t not in kept]
        if missing:
            raise ValueError(f"the packed QM9 store holds only targets {kept}, not {missing}; repack it with "
                             "`python -m zoo.data.qm9 pack ... --targets ...`")
        self.splits = split_indices(len(graphs), hp.seed, hp.num_val, hp.num_test)
        if hp.train_subset:
            self.splits["train"] = self.splits["train"][np.random.default_rng(hp.seed + 1).permutation(
                len(self.splits["train"]))[: hp.train_subset]]
        self.graphs = graphs

    def dataset(self, split: str) -> QM9Graphs:
        self.setup()
        return QM9Graphs(self.graphs, self.splits[split], self.hparams.targets)

    def train_targets(self) -> torch.Tensor:
        self.setup()
        return torch.from_numpy(self.graphs.y[self.splits["train"]][:, list(self.hparams.targets)])

    def split_dataset(self, split: str) -> QM9Graphs:
        return self.dataset(split)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m zoo.data.qm9 pack OUT.npz [--root R] [--targets 0 2 3] [--quantize]``: write the store."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("command", choices=["pack"])
    parser.add_argument("out")
    parser.add_argument("--root", default=None)
    parser.add_argument("--targets", type=int, nargs="*", default=None,
                        help="keep only these target columns; the others are zeroed (they compress to nothing) and "
                             "recorded as unavailable in the store's meta")
    parser.add_argument("--quantize", action="store_true",
                        help="store centred positions as int16 multiples of 0.001 angstrom (half the size)")
    args = parser.parse_args(argv)
    graphs = load_graphs(args.root)
    if args.targets:
        keep = np.zeros_like(graphs.y)
        keep[:, args.targets] = graphs.y[:, args.targets]
        graphs.y = keep
        graphs.meta = {**graphs.meta, "targets_kept": list(args.targets)}
    graphs.save(args.out, quantize_positions=args.quantize)
    print(f"wrote {args.out}: {len(graphs)} molecules, {Path(args.out).stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
