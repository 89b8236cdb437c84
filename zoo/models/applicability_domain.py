"""The applicability domain of the molecule regressors: warnings that go with a prediction (``zoo.predict``).

A regressor trained on one chemical space answers for any graph it is given, so a number alone can mislead:
a 20,000-atom chain got -6543 log units of solubility from ``nfp-esol``. :func:`domain_warnings` says when a
molecule lies outside what the model saw in training, in the spirit of the applicability domain of QSAR models
(OECD principle 3, "a defined domain of applicability", 2007):

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

from typing import Any

HEAVY_ATOM_RANGE = {"esol": (1, 55), "qm9": (1, 9)}  # inclusive (min, max) over the whole training set


def training_set_of(cfg: Any) -> str:
    """The key of :data:`HEAVY_ATOM_RANGE` for a registry entry: ``extra["dataset"]`` or the dataset's first word."""
    name = (cfg.extra or {}).get("dataset") or cfg.dataset.split()[0]
    return str(name).lower()


def domain_warnings(mol: Any, size_range: tuple[int, int] | None) -> list[str]:
    """What makes a molecule unlike the training molecules (empty when nothing does).

    ``mol`` is an RDKit molecule, parsed once by the caller and shared with the featurizer, or a SMILES
    (parsed here; empty when RDKit cannot parse it).
    """
    from rdkit import Chem

    from zoo.chem import mol as parse

    mol = parse(mol) if isinstance(mol, str) else mol
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
