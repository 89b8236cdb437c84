r"""The MOSES molecule-generation metrics, computed with RDKit (Polykovskiy et al., "Molecular Sets (MOSES): A
Benchmarking Platform for Molecular Generation Models", Front. Pharmacol. 2020, sec. 3).

Written from the paper's definitions (the ``molsets`` package itself is not a dependency). With :math:`G` the
generated SMILES, :math:`V \subseteq G` the valid ones (RDKit parses them; canonical SMILES), :math:`R` a
reference set (MOSES test) and :math:`T` the MOSES training set:

- **valid** :math:`|V| / |G|`;
- **unique@k** the fraction of distinct canonical SMILES among the first :math:`k` valid molecules;
- **novelty** the fraction of distinct valid molecules not in :math:`T`;
- **IntDiv** :math:`1 - \frac{1}{|V|^2}\sum_{m_1, m_2 \in V} T(m_1, m_2)` (p = 1), Tanimoto :math:`T` on Morgan
  fingerprints (radius 2, 1024 bits);
- **filters** the fraction of :math:`V` passing the MOSES filters: no ring of 8 or more atoms, no charged atom,
  only C N S O F Cl Br H, and none of the medicinal-chemistry (MCF) and PAINS structural alerts;
- **SNN** :math:`\frac{1}{|V|}\sum_{m \in V} \max_{r \in R} T(m, r)`;
- **Frag** / **Scaf** the cosine similarity between the count vectors of BRICS fragments / Bemis-Murcko
  scaffolds (with at least 2 rings... as MOSES counts them) of :math:`V` and of :math:`R`;
- **FCD** the Fréchet ChemNet Distance :math:`\lVert\mu_V-\mu_R\rVert^2 + \mathrm{tr}(\Sigma_V + \Sigma_R -
  2(\Sigma_V\Sigma_R)^{1/2})` of ChemNet penultimate activations, with the ChemNet weights shipped by the PyPI
  package ``fcd-torch`` (Preuer et al. 2018).

Invalid samples are counted, never raised. The PAINS alerts are RDKit's ``FilterCatalog`` PAINS set (the same
480 Baell & Holloway patterns MOSES ships as ``wehi_pains.csv``); the 22 MCF SMARTS below are MOSES'
``mcf.csv`` (MIT licence, Copyright (c) 2018 Insilico Medicine).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

MCF_SMARTS = (
    "[#6]=&!@[#6]-[#6]#[#7]", "[#6]=&!@[#6]-[#16](=[#8])=[#8]", "[#6]=&!@[#6&!H0]-&!@[#6](=[#8])-&!@[#7]",
    "[H]C([H])([#6])[F,Cl,Br,I]", "[#6]1-[#8]-[#6]-1", "[#6]-[#7]=[#6]=[#8]", "[#6&!H0]=[#8]",
    "[#6](=&!@[#7&!H0])-&!@[#6,#7,#8,#16]", "[#6]1-[#7]-[#6]-1", "[#6]~&!@[#7]~&!@[#7]~&!@[#6]", "[#7]=&!@[#7]",
    "[H][#6]-1=[#6]([H])-[#6]=[#6](-*)-[#8]-1", "[H][#6]-1=[#6]([H])-[#6]=[#6](-*)-[#16]-1",
    "[#17,#35,#53]-c(:*):[!#1!#6]:*", "[H][#7]([H])-[#6]-1=[#6]-[#6]=[#6]-[#6]=[#6]-1", "[#16]~[#16]",
    "[#7]~&!@[#7]~&!@[#7]", "[#7]-&!@[#6&!H0&!H1]-&!@[#7]", "[#6&!H0](-&!@[#8])-&!@[#8]", "[#35].[#35].[#35]",
    "[#17].[#17].[#17].[#17]", "[#9].[#9].[#9].[#9].[#9].[#9].[#9]",
)
ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
MORGAN_RADIUS, MORGAN_BITS = 2, 1024


# ------------------------------------------------------------------------------------------------ molecules

def mol(smiles: str):
    """RDKit molecule of ``smiles``, or None if it is empty or does not parse (never raises)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not smiles:
        return None
    m = Chem.MolFromSmiles(smiles)
    if m is None or m.GetNumAtoms() == 0:
        return None
    return m


def is_valid(smiles: str) -> bool:
    return mol(smiles) is not None


def canonical(smiles: str) -> str | None:
    from rdkit import Chem

    m = mol(smiles)
    return None if m is None else Chem.MolToSmiles(m)


def morgan_bits(smiles: Sequence[str]) -> torch.Tensor:
    """``(N, 1024)`` float 0/1 Morgan fingerprints (radius 2), the MOSES fingerprint."""
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=MORGAN_RADIUS, fpSize=MORGAN_BITS)
    out = np.zeros((len(smiles), MORGAN_BITS), dtype=np.uint8)
    for i, s in enumerate(smiles):
        m = mol(s)
        if m is not None:
            DataStructs.ConvertToNumpyArray(generator.GetFingerprint(m), out[i])
    return torch.from_numpy(out.astype(np.float32))


def tanimoto_aggregate(gen: torch.Tensor, ref: torch.Tensor, agg: str, batch_size: int = 2000) -> torch.Tensor:
    """For each row of ``gen``, the max or mean Tanimoto similarity to the rows of ``ref`` (0/1 float)."""
    ref_count = ref.sum(1)
    out = []
    for chunk in gen.split(batch_size):
        inter = chunk @ ref.T
        union = chunk.sum(1, keepdim=True) + ref_count - inter
        sim = torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(inter))
        out.append(sim.max(1).values if agg == "max" else sim.mean(1))
    return torch.cat(out)


# ------------------------------------------------------------------------------------------------ filters

@lru_cache(maxsize=1)
def _alerts():
    from rdkit import Chem
    from rdkit.Chem.FilterCatalog import FilterCatalog, FilterCatalogParams

    params = FilterCatalogParams()
    params.AddCatalog(FilterCatalogParams.FilterCatalogs.PAINS)
    return [Chem.MolFromSmarts(s) for s in MCF_SMARTS], FilterCatalog(params)


def passes_filters(smiles: str) -> bool:
    """The MOSES filters (see module docstring)."""
    from rdkit import Chem

    m = mol(smiles)
    if m is None:
        return False
    if any(len(ring) >= 8 for ring in m.GetRingInfo().AtomRings()):
        return False
    if any(a.GetFormalCharge() != 0 or a.GetSymbol() not in ALLOWED_ATOMS for a in m.GetAtoms()):
        return False
    mcf, pains = _alerts()
    with_h = Chem.AddHs(m)
    return not (any(with_h.HasSubstructMatch(p) for p in mcf) or pains.HasMatch(with_h))


# ------------------------------------------------------------------------------------------ fragments etc.

def fragment_counts(smiles: Iterable[str]) -> Counter:
    from rdkit.Chem import BRICS

    counts: Counter = Counter()
    for s in smiles:
        m = mol(s)
        if m is not None:
            counts.update(BRICS.BRICSDecompose(m))
    return counts


def scaffold_counts(smiles: Iterable[str], min_rings: int = 2) -> Counter:
    """Bemis-Murcko scaffolds with at least ``min_rings`` rings (MOSES' choice), counted."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    counts: Counter = Counter()
    for s in smiles:
        m = mol(s)
        if m is None:
            continue
        scaffold = MurckoScaffold.GetScaffoldForMol(m)
        text = Chem.MolToSmiles(scaffold)
        if text and scaffold.GetRingInfo().NumRings() >= min_rings:
            counts[text] += 1
    return counts


def cosine_similarity(a: Counter, b: Counter) -> float:
    keys = sorted(set(a) | set(b))
    if not keys:
        return float("nan")
    va = np.array([a.get(k, 0) for k in keys], dtype=np.float64)
    vb = np.array([b.get(k, 0) for k in keys], dtype=np.float64)
    denom = np.linalg.norm(va) * np.linalg.norm(vb)
    return float(va @ vb / denom) if denom > 0 else 0.0


def _fcd_model():
    try:
        from fcd_torch import FCD
    except ImportError as err:
        raise ImportError("FCD needs the PyPI package fcd-torch: pip install fcd-torch") from err
    return FCD(device="cpu", n_jobs=1, batch_size=512)


def fcd(gen: Sequence[str], ref: Sequence[str]) -> float:
    """Fréchet ChemNet Distance with the ``fcd-torch`` ChemNet weights (CPU, batch 512)."""
    return float(_fcd_model()(gen=list(gen), ref=list(ref)))


# ------------------------------------------------------------------------------------------------ all together

@dataclass
class ReferenceSets:
    """The reference molecules, with their statistics computed once and reused for every generated set."""

    test: list[str]  # the reference molecules for SNN, Frag, Scaf and FCD (a documented MOSES-test subset)
    train: set[str]  # the training molecules for novelty (all of MOSES train by default)
    _stats: dict = field(default_factory=dict, repr=False)

    def stat(self, name: str):
        if name not in self._stats:
            compute = {"fps": lambda: morgan_bits(self.test), "frag": lambda: fragment_counts(self.test),
                       "scaf": lambda: scaffold_counts(self.test), "fcd": lambda: _fcd_model().precalc(self.test)}
            self._stats[name] = compute[name]()
        return self._stats[name]


def reference_sets(root: str | None = None, test_size: int | None = 10_000, train_size: int | None = None,
                   seed: int = 0) -> ReferenceSets:
    from zoo.data.smiles import moses_subset

    return ReferenceSets(test=moses_subset(root, "test", test_size, seed),
                         train=set(moses_subset(root, "train", train_size, seed)))


def moses_metrics(generated: Sequence[str], ref: ReferenceSets, ks: Sequence[int] = (1000, 10_000),
                  with_fcd: bool = True) -> dict[str, float]:
    """All MOSES metrics of ``generated`` SMILES against ``ref`` (keys: valid, unique@1k, unique@10k, novelty,
    intdiv, filters, snn, frag, scaf, fcd, plus n_generated and n_valid)."""
    canon = [canonical(s) for s in generated]
    valid = [c for c in canon if c is not None]
    out: dict[str, float] = {"n_generated": float(len(generated)), "n_valid": float(len(valid)),
                             "valid": len(valid) / max(len(generated), 1)}
    for k in ks:
        head = valid[:k]
        out[f"unique@{k // 1000}k"] = len(set(head)) / len(head) if head else 0.0
    distinct = set(valid)
    out["novelty"] = len(distinct - ref.train) / len(distinct) if distinct else 0.0
    if not valid:
        return {**out, **{k: float("nan") for k in ("intdiv", "filters", "snn", "frag", "scaf", "fcd")}}
    gen_fps = morgan_bits(valid)
    out["intdiv"] = 1.0 - float(tanimoto_aggregate(gen_fps, gen_fps, "mean").mean())
    out["filters"] = sum(passes_filters(s) for s in valid) / len(valid)
    out["snn"] = float(tanimoto_aggregate(gen_fps, ref.stat("fps"), "max").mean())
    out["frag"] = cosine_similarity(fragment_counts(valid), ref.stat("frag"))
    out["scaf"] = cosine_similarity(scaffold_counts(valid), ref.stat("scaf"))
    if with_fcd:
        if len(valid) > 1:
            model = _fcd_model()
            out["fcd"] = float(model.metric(ref.stat("fcd"), model.precalc(valid)))
        else:
            out["fcd"] = float("nan")
    return out
