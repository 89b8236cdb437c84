"""Per-molecule prediction with applicability-domain warnings, behind ``zoo predict``.

A regressor trained on one chemical space answers for any graph it is given, so a number alone can mislead:
a 20,000-atom chain got -6543 log units of solubility from ``nfp-esol``. :func:`predict_each` predicts each
SMILES on its own (one invalid SMILES gives an error for that molecule, the others are predicted) and
attaches warnings when a molecule lies outside what the model saw in training, in the spirit of the
applicability domain of QSAR models (OECD principle 3, "a defined domain of applicability", 2007):

- several fragments (``.`` in the SMILES: a salt, a hydrate or a mixture): the training sets hold single
  neutral molecules, and the graph models sum over every fragment as if it were one molecule;
- a net formal charge (an ion);
- a heavy-atom count outside the training set's range (:data:`HEAVY_ATOM_RANGE`).

The ranges were measured on the data root with RDKit's ``GetNumHeavyAtoms`` over every molecule of the set::

    python -c "import csv; from rdkit import Chem; n = [Chem.MolFromSmiles(r['smiles']).GetNumHeavyAtoms()
               for r in csv.DictReader(open('$ZOO_DATA_ROOT/moleculenet/esol.csv'))]; print(min(n), max(n))"
    # ESOL: 1 55 (1,128 molecules); the same over the SMILES column of qm9/qm9.csv.gz: QM9: 1 9 (130,831)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HEAVY_ATOM_RANGE = {"esol": (1, 55), "qm9": (1, 9)}  # inclusive (min, max) over the whole training set


@dataclass
class Prediction:
    smiles: str
    values: list[float] = field(default_factory=list)
    error: str = ""
    warnings: list[str] = field(default_factory=list)


def training_set_of(cfg: Any) -> str:
    """The key of :data:`HEAVY_ATOM_RANGE` for a registry entry: ``extra["dataset"]`` or the dataset's first word."""
    name = (cfg.extra or {}).get("dataset") or cfg.dataset.split()[0]
    return str(name).lower()


def domain_warnings(smiles: str, size_range: tuple[int, int] | None) -> list[str]:
    """What makes ``smiles`` unlike the training molecules (empty when nothing does, or RDKit cannot parse it)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    mol = Chem.MolFromSmiles(smiles)
    if mol is None:
        return []
    warnings = []
    fragments = len(Chem.GetMolFrags(mol))
    if fragments > 1:
        warnings.append(f"{fragments} fragments (a salt or mixture): the model saw single molecules and adds "
                        "up every fragment; predict the parent molecule alone")
    charge = Chem.GetFormalCharge(mol)
    if charge:
        warnings.append(f"an ion (net charge {charge:+d}): the training molecules are neutral")
    if size_range is not None:
        heavy = mol.GetNumHeavyAtoms()
        low, high = size_range
        if not low <= heavy <= high:
            warnings.append(f"{heavy} heavy atoms, outside the training range {low}-{high}: the prediction is an "
                            "extrapolation")
    return warnings


def predict_each(model: Any, smiles: Sequence[str], cfg: Any) -> list[Prediction]:
    """Predict every SMILES with ``model.predict_smiles`` one at a time; never fails for one bad molecule."""
    import torch

    size_range = HEAVY_ATOM_RANGE.get(training_set_of(cfg))
    out = []
    for s in smiles:
        result = Prediction(s)
        try:
            with torch.no_grad():
                row = model.predict_smiles([s])[0]
        except (ValueError, RuntimeError) as err:  # MoleculeError is a ValueError
            message = " ".join(str(err).split()).removeprefix(f"SMILES #0 ({s!r}): ")
            result.error = message or type(err).__name__
            out.append(result)
            continue
        values = row.tolist() if hasattr(row, "tolist") else row
        result.values = values if isinstance(values, list) else [values]
        if not all(torch.isfinite(torch.tensor(result.values))):
            result.error = "the model returned a non-finite value for this molecule"
            result.values = []
        else:
            result.warnings = domain_warnings(s, size_range)
        out.append(result)
    return out
