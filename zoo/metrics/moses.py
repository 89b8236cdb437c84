r"""The MOSES molecule-generation metrics, computed with RDKit (Polykovskiy et al., "Molecular Sets (MOSES): A
Benchmarking Platform for Molecular Generation Models", Front. Pharmacol. 2020, sec. 3).

Written from the paper's definitions and checked against the reference implementation (``molsets``,
``moses/metrics/metrics.py`` and ``utils.py``; the package itself is not a dependency). With :math:`G` the
generated SMILES, :math:`V \subseteq G` the valid ones (RDKit parses them; canonical SMILES), :math:`R` a
reference set (MOSES test) and :math:`T` the MOSES training set:

- **valid** :math:`|V| / |G|`;
- **unique@k** the fraction of distinct canonical SMILES among the first :math:`k` valid molecules;
- **novelty** the fraction of distinct valid molecules not in :math:`T`;
- **IntDiv_p** :math:`1 - \frac{1}{|V|}\sum_{m_1 \in V}\big(\frac{1}{|V|}\sum_{m_2 \in V} T(m_1, m_2)^p\big)^{1/p}`
  for p = 1 (IntDiv) and p = 2 (IntDiv2), Tanimoto :math:`T` on Morgan fingerprints (radius 2, 1024 bits; two
  empty fingerprints have similarity 1);
- **filters** the fraction of :math:`V` passing the MOSES filters: no ring of 8 or more atoms, no charged atom,
  only C N S O F Cl Br H, none of MOSES' structural alerts (the 22 medicinal-chemistry SMARTS of ``mcf.csv``
  and the 480 WEHI PAINS SMARTS of ``wehi_pains.csv``, matched on the molecule with explicit hydrogens), and a
  SMILES that parses again;
- **SNN** :math:`\frac{1}{|V|}\sum_{m \in V} \max_{r \in R} T(m, r)`;
- **Frag** / **Scaf** the cosine similarity between the count vectors of BRICS fragments / Bemis-Murcko
  scaffolds of :math:`V` and of :math:`R`. A molecule's fragments are the pieces left by cutting every BRICS
  bond (``FragmentOnBRICSBonds``, dummy atoms marking the cuts), each piece counted as often as it occurs;
  scaffolds with fewer than 2 rings are dropped. NaN when either side has none;
- **logP / SA / QED / weight** the 1-D Wasserstein-1 distance :math:`W_1(P_V, P_R) = \int |F_V(x) - F_R(x)| dx`
  between the empirical distributions of a property over :math:`V` and over :math:`R`: Wildman-Crippen logP,
  the synthetic-accessibility score of Ertl & Schuffenhauer (J. Cheminform. 2009; RDKit's Contrib ``sascorer``,
  the same code and fragment scores MOSES ships), QED (Bickerton et al., Nat. Chem. 2012) and molecular weight;
- **FCD** the Fréchet ChemNet Distance :math:`\lVert\mu_V-\mu_R\rVert^2 + \mathrm{tr}(\Sigma_V + \Sigma_R -
  2(\Sigma_V\Sigma_R)^{1/2})` of ChemNet penultimate activations, with the ChemNet weights shipped by the PyPI
  package ``fcd-torch`` (Preuer et al. 2018).

Invalid samples are counted, never raised. The alert SMARTS files are MOSES' own, shipped as package data in
``zoo/metrics/data/moses_filters/`` with their MIT licence (Copyright (c) 2018 Insilico Medicine).

10,000 samples take minutes on a CPU: with ``progress``, each costly step (canonical SMILES, fingerprints, the
similarity passes, filters, fragments, scaffolds, properties, ChemNet) is a stage of :mod:`zoo.progress`, a bar
on a terminal and a start and an end line in a log.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from zoo.chem import canonical, is_valid, mol  # noqa: F401  (re-exported: the MOSES vocabulary)
from zoo.progress import stage, step, track

FILTERS_DIR = Path(__file__).parent / "data" / "moses_filters"
ALLOWED_ATOMS = frozenset({"C", "N", "S", "O", "F", "Cl", "Br", "H"})
MORGAN_RADIUS, MORGAN_BITS = 2, 1024


# ------------------------------------------------------------------------------------------------ molecules

def morgan_bits(smiles: Sequence[str], progress: str | None = None) -> torch.Tensor:
    """``(N, 1024)`` float 0/1 Morgan fingerprints (radius 2), the MOSES fingerprint; ``progress`` names the
    stage shown (:func:`zoo.progress.stage`; None: silent), as in every function here."""
    from rdkit import DataStructs
    from rdkit.Chem import rdFingerprintGenerator

    generator = rdFingerprintGenerator.GetMorganGenerator(radius=MORGAN_RADIUS, fpSize=MORGAN_BITS)
    out = np.zeros((len(smiles), MORGAN_BITS), dtype=np.uint8)
    for i, s in enumerate(track(smiles, progress, unit="mol")):
        m = mol(s)
        if m is not None:
            DataStructs.ConvertToNumpyArray(generator.GetFingerprint(m), out[i])
    return torch.from_numpy(out.astype(np.float32))


def tanimoto_aggregate(gen: torch.Tensor, ref: torch.Tensor, agg: str, p: float | Sequence[float] = 1.0,
                       batch_size: int = 2000, progress: str | None = None) -> torch.Tensor:
    r"""For each row of ``gen``, the max or the power mean :math:`(\frac1{|R|}\sum_r T^p)^{1/p}` of its Tanimoto
    similarities to the rows of ``ref`` (0/1 float; two empty rows have similarity 1, as in MOSES). With a
    sequence of powers ``p`` (``agg="mean"``), one row per power from a single pass over the similarities."""
    if agg not in ("max", "mean"):
        raise ValueError(f"agg must be 'max' or 'mean', got {agg!r}")
    powers = [float(p)] if isinstance(p, (int, float)) else [float(x) for x in p]
    gen, ref = gen.float(), ref.float()  # bit counts <= 2^24 are exact in float32; ratios in float64
    ref_count = ref.sum(1).double()
    out = []
    with stage(progress, len(gen), "mol") as bar:
        for chunk in gen.split(batch_size):
            inter = (chunk @ ref.T).double()
            union = chunk.sum(1, keepdim=True).double() + ref_count - inter
            sim = torch.where(union > 0, inter / union.clamp(min=1), torch.ones_like(inter))
            out.append(sim.max(1).values[None] if agg == "max" else
                       torch.stack([sim.pow(q).mean(1).pow(1 / q) for q in powers]))
            bar.update(len(chunk))
    result = torch.cat(out, dim=1)
    return result[0] if agg == "max" or isinstance(p, (int, float)) else result


def internal_diversity(fps: torch.Tensor, p: float | Sequence[float] = 1.0,
                       progress: str | None = None) -> float | list[float]:
    """IntDiv_p of a set of fingerprints (module docstring); a list of them for a sequence of powers."""
    values = 1.0 - tanimoto_aggregate(fps, fps, "mean", p=p, progress=progress).mean(-1)
    return float(values) if values.dim() == 0 else values.tolist()


# ------------------------------------------------------------------------------------------------ filters

def read_alert_smarts(directory: Path = FILTERS_DIR) -> list[str]:
    """MOSES' structural-alert SMARTS: ``mcf.csv`` (header ``names,smarts``) then ``wehi_pains.csv`` (no header,
    ``smarts,name``; the SMARTS are padded with spaces, which are stripped)."""
    with open(directory / "mcf.csv", newline="") as f:
        smarts = [row["smarts"].strip() for row in csv.DictReader(f)]
    with open(directory / "wehi_pains.csv", newline="") as f:
        smarts += [row[0].strip() for row in csv.reader(f) if row]
    return smarts


@lru_cache(maxsize=1)
def _alerts() -> list:
    from rdkit import Chem

    patterns = [(s, Chem.MolFromSmarts(s)) for s in read_alert_smarts()]
    broken = [s for s, p in patterns if p is None]
    if broken:
        raise ValueError(f"{len(broken)} MOSES alert SMARTS in {FILTERS_DIR} do not parse (first: {broken[0]!r}); "
                         "the package data is damaged: reinstall the package")
    return [p for _, p in patterns]


def passes_filters(smiles: str) -> bool:
    """The MOSES filters (see module docstring), in MOSES' order."""
    from rdkit import Chem

    m = mol(smiles)
    if m is None:
        return False
    if any(len(ring) >= 8 for ring in m.GetRingInfo().AtomRings()):
        return False
    if any(a.GetFormalCharge() != 0 or a.GetSymbol() not in ALLOWED_ATOMS for a in m.GetAtoms()):
        return False
    with_h = Chem.AddHs(m)
    if any(with_h.HasSubstructMatch(p) for p in _alerts()):
        return False
    return mol(Chem.MolToSmiles(m, isomericSmiles=False)) is not None


# ------------------------------------------------------------------------------------------ fragments etc.

def fragments(m) -> list[str]:
    """The BRICS fragments of a molecule, with repeats: canonical SMILES of the pieces left by cutting every BRICS
    bond (``FragmentOnBRICSBonds``; the cut ends carry dummy atoms labelled with the BRICS environment)."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    return Chem.MolToSmiles(AllChem.FragmentOnBRICSBonds(m)).split(".")


def fragment_counts(smiles: Iterable[str], progress: str | None = None) -> Counter:
    """How often each BRICS fragment occurs over all molecules (:func:`fragments`)."""
    counts: Counter = Counter()
    for s in track(smiles, progress, unit="mol"):
        m = mol(s)
        if m is not None:
            counts.update(fragments(m))
    return counts


def scaffold_counts(smiles: Iterable[str], min_rings: int = 2, progress: str | None = None) -> Counter:
    """Bemis-Murcko scaffolds with at least ``min_rings`` rings (MOSES' choice), counted."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    counts: Counter = Counter()
    for s in track(smiles, progress, unit="mol"):
        m = mol(s)
        if m is None:
            continue
        scaffold = MurckoScaffold.GetScaffoldForMol(m)
        text = Chem.MolToSmiles(scaffold)
        if text and scaffold.GetRingInfo().NumRings() >= min_rings:
            counts[text] += 1
    return counts


def cosine_similarity(a: Counter, b: Counter) -> float:
    """Cosine similarity of two count dictionaries (absent keys count 0); NaN if either is empty (as MOSES)."""
    if not a or not b:
        return float("nan")
    keys = sorted(set(a) | set(b))
    va = np.array([a.get(k, 0) for k in keys], dtype=np.float64)
    vb = np.array([b.get(k, 0) for k in keys], dtype=np.float64)
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb)))


# ------------------------------------------------------------------------------------------------ properties

@lru_cache(maxsize=1)
def _sascorer():
    """RDKit's Contrib ``sascorer`` (Ertl & Schuffenhauer 2009), the code MOSES ships as ``SA_Score``."""
    import importlib
    import sys

    from rdkit import RDConfig

    try:
        return importlib.import_module("rdkit.Contrib.SA_Score.sascorer")
    except ImportError:
        path = Path(RDConfig.RDContribDir) / "SA_Score"
        if not (path / "sascorer.py").is_file():
            raise ImportError(f"the SA score needs RDKit's Contrib/SA_Score (not found under {path}); install "
                              "the rdkit wheel from PyPI, which ships it") from None
        sys.path.insert(0, str(path))
        return importlib.import_module("sascorer")


def _logp(m) -> float:
    from rdkit.Chem import Crippen

    return Crippen.MolLogP(m)


def _sa(m) -> float:
    return _sascorer().calculateScore(m)


def _qed(m) -> float:
    from rdkit.Chem import QED

    return QED.qed(m)


def _weight(m) -> float:
    from rdkit.Chem import Descriptors

    return Descriptors.MolWt(m)


PROPERTIES: dict[str, Callable] = {"logp": _logp, "sa": _sa, "qed": _qed, "weight": _weight}


def property_values(smiles: Iterable[str], name: str, progress: str | None = None) -> np.ndarray:
    """One of :data:`PROPERTIES` for each valid molecule of ``smiles``."""
    func = PROPERTIES[name]
    return np.array([func(m) for m in map(mol, track(smiles, progress, unit="mol")) if m is not None],
                    dtype=np.float64)


def wasserstein_1d(a: np.ndarray, b: np.ndarray) -> float:
    """Wasserstein-1 distance between two empirical 1-D distributions: the area between their CDFs."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    grid = np.sort(np.concatenate([a, b]))
    widths = np.diff(grid)
    cdf_a = np.searchsorted(np.sort(a), grid[:-1], side="right") / len(a)
    cdf_b = np.searchsorted(np.sort(b), grid[:-1], side="right") / len(b)
    return float(np.sum(np.abs(cdf_a - cdf_b) * widths))


FCD_BATCH = 512  # SMILES per ChemNet batch (fcd-torch's default)


def _fcd_model():
    try:
        from fcd_torch import FCD
    except ImportError as err:
        raise ImportError("FCD needs the PyPI package fcd-torch: pip install fcd-torch") from err
    return FCD(device="cpu", n_jobs=1, batch_size=FCD_BATCH)


def fcd(gen: Sequence[str], ref: Sequence[str]) -> float:
    """Fréchet ChemNet Distance with the ``fcd-torch`` ChemNet weights (CPU, batch 512)."""
    return float(_fcd_model()(gen=list(gen), ref=list(ref)))


def chemnet_statistics(smiles: Sequence[str], progress: str | None = None) -> dict:
    """What fcd-torch's ``FCD.precalc`` returns (``mu`` and ``sigma`` of the ChemNet activations; empty below 2
    molecules), one batch at a time through its public ``get_predictions`` so that the pass can show progress:
    the batches of ``precalc``'s loader (each SMILES is padded to 350 alone), so the same numbers."""
    smiles = list(smiles)
    if len(smiles) < 2:
        return {}
    model, chunks = _fcd_model(), []
    with stage(progress, len(smiles), "mol") as bar:
        for start in range(0, len(smiles), FCD_BATCH):
            chunks.append(model.get_predictions(smiles[start:start + FCD_BATCH]))
            bar.update(len(chunks[-1]))
    activations = np.concatenate(chunks)
    return {"mu": activations.mean(0), "sigma": np.cov(activations.T)}


# ------------------------------------------------------------------------------------------------ all together

STEPS = {"fps": "Morgan fingerprints", "frag": "BRICS fragments", "scaf": "scaffolds", "fcd": "ChemNet (FCD)",
         "logp": "logP", "sa": "SA score", "qed": "QED", "weight": "molecular weight"}


@dataclass
class ReferenceSets:
    """The reference molecules, with their statistics computed once and reused for every generated set."""

    test: list[str]  # the reference molecules for SNN, Frag, Scaf and FCD (a documented MOSES-test subset)
    train: set[str]  # the training molecules for novelty (all of MOSES train by default)
    _stats: dict = field(default_factory=dict, repr=False)

    def stat(self, name: str, progress: bool = False):
        """The statistic ``name`` (a key of :data:`STEPS`) of :attr:`test`, computed on first use (a stage
        ``MOSES reference: <step>`` if ``progress``)."""
        if name not in self._stats:
            shown = f"MOSES reference: {STEPS[name]}" if progress else None
            compute = {"fps": morgan_bits, "frag": fragment_counts, "scaf": scaffold_counts,
                       "fcd": chemnet_statistics,
                       **{p: lambda smiles, progress, p=p: property_values(smiles, p, progress)
                          for p in PROPERTIES}}
            self._stats[name] = compute[name](self.test, progress=shown)
        return self._stats[name]


def reference_sets(root: str | None = None, test_size: int | None = 10_000, train_size: int | None = None,
                   seed: int = 0, progress: bool = False) -> ReferenceSets:
    """The MOSES-test subset ``(test_size, seed)`` and MOSES train (a subset if ``train_size``); reading the 1.6 M
    training SMILES is a step of its own if ``progress``."""
    from zoo.data.smiles import moses_subset

    with step("MOSES: reading the test and training sets" if progress else None):
        return ReferenceSets(test=moses_subset(root, "test", test_size, seed),
                             train=set(moses_subset(root, "train", train_size, seed)))


def moses_metrics(generated: Sequence[str], ref: ReferenceSets, ks: Sequence[int] = (1000, 10_000),
                  with_fcd: bool = True, progress: bool = False) -> dict[str, float]:
    """All MOSES metrics of ``generated`` SMILES against ``ref`` (keys: valid, unique@1k, unique@10k, novelty,
    intdiv, intdiv2, filters, snn, frag, scaf, logp, sa, qed, weight, fcd, plus n_generated and n_valid).
    ``progress``: each costly step is a stage (``MOSES: <step>``, and ``MOSES reference: <step>`` the first time
    a reference statistic is computed)."""
    def shown(what: str) -> str | None:
        return f"MOSES: {what}" if progress else None

    canon = [canonical(s) for s in track(generated, shown("canonical SMILES"), unit="mol")]
    valid = [c for c in canon if c is not None]
    out: dict[str, float] = {"n_generated": float(len(generated)), "n_valid": float(len(valid)),
                             "valid": len(valid) / max(len(generated), 1)}
    for k in ks:
        head = valid[:k]
        out[f"unique@{k // 1000}k"] = len(set(head)) / len(head) if head else 0.0
    distinct = set(valid)
    out["novelty"] = len(distinct - ref.train) / len(distinct) if distinct else 0.0
    if not valid:
        return {**out, **{k: float("nan") for k in ("intdiv", "intdiv2", "filters", "snn", "frag", "scaf", *PROPERTIES,
                                                    "fcd")}}
    gen_fps = morgan_bits(valid, shown(STEPS["fps"]))
    out["intdiv"], out["intdiv2"] = internal_diversity(gen_fps, p=(1, 2), progress=shown("internal diversity"))
    out["filters"] = sum(passes_filters(s) for s in track(valid, shown("filters"), unit="mol")) / len(valid)
    out["snn"] = float(tanimoto_aggregate(gen_fps, ref.stat("fps", progress), "max",
                                          progress=shown("SNN")).mean())
    out["frag"] = cosine_similarity(fragment_counts(valid, shown(STEPS["frag"])), ref.stat("frag", progress))
    out["scaf"] = cosine_similarity(scaffold_counts(valid, progress=shown(STEPS["scaf"])),
                                    ref.stat("scaf", progress))
    for name in PROPERTIES:
        out[name] = wasserstein_1d(property_values(valid, name, shown(STEPS[name])), ref.stat(name, progress))
    if with_fcd:
        out["fcd"] = fcd_to_reference(valid, ref, progress)
    return out


def fcd_to_reference(valid: Sequence[str], ref: ReferenceSets, progress: bool = False) -> float:
    """FCD of valid SMILES to ``ref.test``, reusing the reference's ChemNet statistics (NaN below 2 molecules)."""
    if len(valid) < 2:
        return float("nan")
    generated = chemnet_statistics(valid, "MOSES: ChemNet (FCD)" if progress else None)
    return float(_fcd_model().metric(ref.stat("fcd", progress), generated))
