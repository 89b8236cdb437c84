"""Chemistry, in one place: RDKit parsing, the papers' featurizations, and a compact store of molecular graphs.

Models (``zoo.models.nfp``/``mpnn``/``aae``), datasets (``zoo.data``) and metrics (``zoo.metrics.moses``) all
import their chemistry from here; it imports neither Lightning nor any other part of the zoo.

Two featurizations, one per paper:

**Duvenaud et al. 2015** (neural fingerprints, ``nfp_graph``), hydrogens implicit as in the paper's code
(HIPS/neural-fingerprint ``features.py``):

- atom (62 features): one-hot element over :data:`NFP_ELEMENTS` (43), one-hot degree 0-5 (6), one-hot total
  number of hydrogens 0-4 (5), one-hot implicit valence 0-5 (6), aromatic (1), formal charge (1, integer);
- bond (6 features): single, double, triple, aromatic, conjugated, in ring.

**Gilmer et al. 2017** (MPNN, ``MoleculeGraph``), hydrogens **explicit** (they are nodes), 3D positions kept:

- atom (16 features, :func:`mpnn_atom_features`): one-hot element over :data:`MPNN_ELEMENTS`
  (H C N O F P S Cl Br I), atomic number, aromatic, hybridisation sp / sp2 / sp3, number of hydrogens
  bonded to it. For QM9 this is PyG's 11-feature set widened to the elements of MoleculeNet, so a QM9 model
  can be fine-tuned on MoleculeNet molecules;
- bond (4 features): one-hot single, double, triple, aromatic. The MPNN adds the interatomic distance
  (angstrom) itself and can use the complete graph (see :class:`zoo.models.mpnn.MPNN`).

The MPNN featurization is stored compactly (:class:`MoleculeGraphs`: int8 atomic numbers, one byte of atom
flags, float32 positions, uint8 local bond lists) so the float features can be rebuilt without RDKit, e.g. on a
GPU machine that has no RDKit.

Bad molecules (unparsable SMILES, an element outside the featurizer, a geometry that does not match the
SMILES) never stop a dataset halfway: :func:`featurize_many` reports them by index and skips them with a count.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

log = logging.getLogger(__name__)

# ----------------------------------------------------------------------------------------------- RDKit access


def _rdkit():
    try:
        from rdkit import Chem, RDLogger
    except ImportError as err:  # pragma: no cover - rdkit is an extra
        raise ImportError("molecule featurization needs RDKit: pip install 'lightning-zoo[chem]' (or pip install rdkit)") \
            from err
    RDLogger.DisableLog("rdApp.*")  # we report bad molecules ourselves, by index
    return Chem


def mol(smiles: str):
    """RDKit molecule of ``smiles``, or None if it is empty or does not parse (never raises, logs nothing)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    if not smiles:
        return None
    m = Chem.MolFromSmiles(smiles)
    if m is None or m.GetNumAtoms() == 0:
        return None
    return m


def is_valid(smiles: str) -> bool:
    """MOSES validity: RDKit parses it into a molecule with at least one atom."""
    return mol(smiles) is not None


def canonical(smiles: str) -> str | None:
    """RDKit's canonical SMILES of ``smiles``, or None if it is not valid."""
    from rdkit import Chem

    m = mol(smiles)
    return None if m is None else Chem.MolToSmiles(m)


def smiles_text_problem(smiles: str) -> str | None:
    """Why ``smiles`` cannot be a SMILES string as text, or None: empty, or holding whitespace, a control
    character or a non-ASCII character. RDKit stops reading at the first space (``"CCCCCCCC O"`` is parsed as
    octane, the rest taken for a name), so such a string would silently stand for another molecule; a tab or
    newline would also break a table of results. SMILES are printable ASCII without spaces."""
    if not smiles:
        return "empty SMILES"
    if smiles.isascii() and smiles.isprintable() and " " not in smiles:  # the common case, checked in C
        return None
    for position, char in enumerate(smiles, start=1):
        where = f"({char!r}) at position {position}"
        if char.isspace():
            return f"whitespace {where}: a SMILES has none (RDKit would read only what comes before it); " \
                   "put a name in its own column"
        if not char.isprintable() or not char.isascii():
            kind = "a non-ASCII character" if char.isprintable() else "a control character"
            return f"{kind} {where}: a SMILES is printable ASCII"
    return None


class MoleculeError(ValueError):
    """A molecule the featurizer cannot handle (unparsable SMILES, unknown element, bad geometry)."""


def mol_from_smiles(smiles):
    """RDKit molecule of ``smiles``; a molecule already parsed (``rdkit.Chem.Mol``) is returned as it is, so the
    featurizers take either and a caller that parsed once (``zoo.predict``) does not parse again."""
    Chem = _rdkit()
    if isinstance(smiles, Chem.Mol):
        return smiles
    mol = Chem.MolFromSmiles(smiles) if isinstance(smiles, str) and smiles.strip() else None
    if mol is None:
        raise MoleculeError(f"RDKit cannot parse the SMILES {smiles!r}")
    return mol


# ------------------------------------------------------------------------------- Duvenaud (NFP) featurization

NFP_ELEMENTS = ("C", "N", "O", "S", "F", "Si", "P", "Cl", "Br", "Mg", "Na", "Ca", "Fe", "As", "Al", "I", "B",
                "V", "K", "Tl", "Yb", "Sb", "Sn", "Ag", "Pd", "Co", "Se", "Ti", "Zn", "H", "Li", "Ge", "Cu",
                "Au", "Ni", "Cd", "In", "Mn", "Zr", "Cr", "Pt", "Hg", "Pb")
NFP_MAX_DEGREE = 5
NFP_ATOM_DIM = len(NFP_ELEMENTS) + 6 + 5 + 6 + 1 + 1  # 62
NFP_BOND_DIM = 6


_ELEMENT_INDEX = {symbol: i for i, symbol in enumerate(NFP_ELEMENTS)}


def _bond_kinds() -> dict:
    Chem = _rdkit()
    return {Chem.BondType.SINGLE: 0, Chem.BondType.DOUBLE: 1, Chem.BondType.TRIPLE: 2, Chem.BondType.AROMATIC: 3}


def bond_type_index(bond, kinds: dict | None = None) -> int:
    """0 single, 1 double, 2 triple, 3 aromatic (``kinds``: :func:`_bond_kinds`, passed by loops over bonds)."""
    kinds = kinds or _bond_kinds()
    if bond.GetBondType() not in kinds:
        raise MoleculeError(f"bond type {bond.GetBondType()} is not single, double, triple or aromatic")
    return kinds[bond.GetBondType()]


def _nfp_rows(mol, kinds: dict) -> tuple[list[tuple], list[tuple]]:
    """One molecule's integer rows, checked against the featurizer's ranges (else :class:`MoleculeError`):
    atoms ``(element index, degree, total H, implicit valence, aromatic, formal charge)`` and bonds
    ``(begin, end, type index, conjugated, in ring)``."""
    atoms = []
    for atom in mol.GetAtoms():
        symbol = atom.GetSymbol()
        if symbol not in _ELEMENT_INDEX:
            raise MoleculeError(f"element {symbol} is not in the NFP featurizer's element list")
        row = (_ELEMENT_INDEX[symbol], atom.GetDegree(), atom.GetTotalNumHs(), atom.GetImplicitValence(),
               atom.GetIsAromatic(), atom.GetFormalCharge())
        for value, (what, size) in zip(row[1:4], _NFP_ONE_HOTS):
            if not 0 <= value < size:
                raise MoleculeError(f"{what} {value} is outside the featurizer's range 0..{size - 1}")
        atoms.append(row)
    if not atoms:
        raise MoleculeError("the molecule has no atoms")
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx(), bond_type_index(b, kinds), b.GetIsConjugated(), b.IsInRing())
             for b in mol.GetBonds()]
    return atoms, bonds


_NFP_ONE_HOTS = (("atom degree", NFP_MAX_DEGREE + 1), ("hydrogen count", 5), ("implicit valence", 6))


def nfp_graphs(mols: Sequence) -> tuple[dict[str, Tensor], list[str]]:
    """Duvenaud features of many molecules (SMILES or RDKit molecules) at once, as one batched graph.

    Returns ``(fields, errors)``: ``fields`` holds ``x`` (atoms, 62), ``edge_index`` (2, 2 x bonds),
    ``edge_attr`` (2 x bonds, 6) and ``batch`` (the molecule of each atom, counting only the molecules that
    featurized), ready for ``torch_geometric.data.Data(**fields)``; ``errors[i]`` is ``""`` or why molecule
    ``i`` could not be featurized (it is then left out). RDKit is read atom by atom; the one-hot encoding,
    the index offsets and the tensors are made once for the whole batch, which is where a per-molecule loop
    spends its time beside RDKit.
    """
    kinds = _bond_kinds()
    atoms, bonds, atom_counts, bond_counts, errors = [], [], [], [], []
    for item in mols:
        try:
            mol_atoms, mol_bonds = _nfp_rows(mol_from_smiles(item), kinds)
        except MoleculeError as err:
            errors.append(str(err))
            continue
        errors.append("")
        atoms += mol_atoms
        bonds += mol_bonds
        atom_counts.append(len(mol_atoms))
        bond_counts.append(len(mol_bonds))
    ints = np.array(atoms, np.int64).reshape(-1, 6)
    one_hots = [np.eye(size, dtype=np.float32)[ints[:, k]] for k, size in
                enumerate((len(NFP_ELEMENTS), *(size for _, size in _NFP_ONE_HOTS)))]
    x = np.concatenate(one_hots + [ints[:, 4:6].astype(np.float32)], axis=1)
    bond_rows = np.array(bonds, np.int64).reshape(-1, 5)
    first_atom = np.cumsum(atom_counts, dtype=np.int64) - np.asarray(atom_counts, np.int64)
    ends = bond_rows[:, :2] + np.repeat(first_atom, bond_counts)[:, None]  # local atom indices -> batch indices
    edge_index = np.stack([ends, ends[:, ::-1]], axis=1).reshape(-1, 2).T  # (i, j), (j, i) per bond
    features = np.concatenate([np.eye(4, dtype=np.float32)[bond_rows[:, 2]], bond_rows[:, 3:5].astype(np.float32)],
                              axis=1)
    fields = {"x": torch.from_numpy(x), "edge_index": torch.from_numpy(np.ascontiguousarray(edge_index)),
              "edge_attr": torch.from_numpy(np.repeat(features, 2, axis=0)),
              "batch": torch.from_numpy(np.repeat(np.arange(len(atom_counts)), atom_counts))}
    return fields, errors


def nfp_graph(smiles) -> dict[str, Tensor]:
    """Duvenaud features of one SMILES (or an RDKit molecule already parsed): ``x`` (atoms, 62),
    ``edge_index`` (2, 2 x bonds), ``edge_attr`` (2 x bonds, 6: single, double, triple, aromatic one-hot,
    conjugated, in ring); :func:`nfp_graphs` of one molecule.

    Both directions of every bond are edges, each bond's two directions next to each other. Hydrogens are
    implicit (counted in the atom features).
    """
    mol = mol_from_smiles(smiles)
    if mol.GetNumAtoms() == 0:
        raise MoleculeError(f"the SMILES {smiles!r} has no atoms")
    fields, errors = nfp_graphs([mol])
    if errors[0]:
        raise MoleculeError(errors[0])
    del fields["batch"]
    return fields


def morgan_fingerprint(smiles: str, radius: int = 2, n_bits: int = 2048) -> Tensor:
    """ECFP-like Morgan bit vector (RDKit), the baseline of Duvenaud et al. (ECFP4 for ``radius=2``)."""
    from rdkit.Chem import rdFingerprintGenerator

    mol = mol_from_smiles(smiles)
    gen = rdFingerprintGenerator.GetMorganGenerator(radius=radius, fpSize=n_bits)
    return torch.from_numpy(gen.GetFingerprintAsNumPy(mol).astype(np.float32))


# ------------------------------------------------------------------------------ Gilmer (MPNN) featurization

MPNN_ELEMENTS = (1, 6, 7, 8, 9, 15, 16, 17, 35, 53)  # H C N O F P S Cl Br I
MPNN_ATOM_DIM = len(MPNN_ELEMENTS) + 6  # 16
MPNN_BOND_DIM = 4
_HYBRIDISATION = {"SP": 1, "SP2": 2, "SP3": 3}  # anything else is 0


def _pack_flags(aromatic: bool, hybridisation: int, num_hs: int) -> int:
    """One byte per atom: bit 0 aromatic, bits 1-2 hybridisation (0 other, 1 sp, 2 sp2, 3 sp3), bits 3-5 #H."""
    return int(aromatic) | (hybridisation << 1) | (min(num_hs, 7) << 3)


def mpnn_atom_features(z: Tensor, flags: Tensor) -> Tensor:
    """Float atom features (atoms, 16) from atomic numbers and the packed flag byte; no RDKit needed."""
    z = z.long()
    flags = flags.long()
    table = torch.full((128,), -1, dtype=torch.long)
    table[torch.tensor(MPNN_ELEMENTS)] = torch.arange(len(MPNN_ELEMENTS))
    element = table[z]
    if (element < 0).any():
        raise MoleculeError(f"atomic numbers {sorted(set(z[element < 0].tolist()))} are outside the MPNN "
                            f"featurizer's elements {MPNN_ELEMENTS}")
    hyb = (flags >> 1) & 3
    return torch.cat([
        torch.nn.functional.one_hot(element, len(MPNN_ELEMENTS)).float(),
        z.float().unsqueeze(-1),
        (flags & 1).float().unsqueeze(-1),
        torch.stack([(hyb == k).float() for k in (1, 2, 3)], dim=-1),
        ((flags >> 3) & 7).float().unsqueeze(-1),
    ], dim=-1)


@dataclass
class MoleculeGraph:
    """One molecule with explicit hydrogens: atomic numbers, atom flags, 3D positions (angstrom), bonds."""

    z: np.ndarray  # (n,) int8
    flags: np.ndarray  # (n,) uint8, see _pack_flags
    pos: np.ndarray  # (n, 3) float32, angstrom
    bonds: np.ndarray  # (b, 2) local atom indices, one row per bond
    bond_types: np.ndarray  # (b,) 0 single, 1 double, 2 triple, 3 aromatic


def _graph_from_mol(mol, pos: np.ndarray) -> MoleculeGraph:
    z, flags = [], []
    for atom in mol.GetAtoms():
        if atom.GetAtomicNum() not in MPNN_ELEMENTS:
            raise MoleculeError(f"element {atom.GetSymbol()} is outside the MPNN featurizer's elements")
        hyb = _HYBRIDISATION.get(str(atom.GetHybridization()), 0)
        flags.append(_pack_flags(atom.GetIsAromatic(), hyb, atom.GetTotalNumHs(includeNeighbors=True)))
        z.append(atom.GetAtomicNum())
    bonds = [(b.GetBeginAtomIdx(), b.GetEndAtomIdx()) for b in mol.GetBonds()]
    kinds = _bond_kinds()
    types = [bond_type_index(b, kinds) for b in mol.GetBonds()]
    return MoleculeGraph(np.array(z, np.int8), np.array(flags, np.uint8), np.asarray(pos, np.float32),
                         np.array(bonds, np.int64).reshape(-1, 2), np.array(types, np.uint8))


def _match_by_order(mol, elements: Sequence[str], xyz: np.ndarray) -> np.ndarray:
    """``order[mol_atom] = xyz row``: heavy atoms in the same order, each H on its nearest heavy atom."""
    n = mol.GetNumAtoms()
    heavy = [i for i, e in enumerate(elements) if e != "H"]
    hydrogens = [i for i, e in enumerate(elements) if e == "H"]
    mol_heavy = [a.GetIdx() for a in mol.GetAtoms() if a.GetAtomicNum() != 1]
    if mol_heavy != list(range(len(heavy))):
        raise MoleculeError("RDKit did not list the heavy atoms first")
    for i, row in enumerate(heavy):
        if mol.GetAtomWithIdx(i).GetSymbol() != elements[row]:
            raise MoleculeError(f"heavy atom {i} is {elements[row]} in the geometry, "
                                f"{mol.GetAtomWithIdx(i).GetSymbol()} in the SMILES")
    order = np.empty(n, np.int64)  # order[mol_atom] = row of the xyz
    order[: len(heavy)] = heavy
    if hydrogens:
        if not heavy:  # H2
            order[:] = hydrogens
        else:
            d = np.linalg.norm(xyz[hydrogens][:, None] - xyz[heavy][None], axis=-1)
            parent = d.argmin(axis=1)
            for i in range(len(heavy)):
                mol_hs = sorted(nb.GetIdx() for nb in mol.GetAtomWithIdx(i).GetNeighbors()
                                if nb.GetAtomicNum() == 1)
                xyz_hs = [h for h, p in zip(hydrogens, parent) if p == i]
                if len(mol_hs) != len(xyz_hs):
                    raise MoleculeError(f"atom {i} carries {len(mol_hs)} H in the SMILES but {len(xyz_hs)} "
                                        "in the geometry")
                order[mol_hs] = xyz_hs
    return order


def _skeleton(mol):
    """A copy with elements and connectivity only (single bonds, no charges, no aromaticity)."""
    Chem = _rdkit()
    skel = Chem.RWMol()
    for atom in mol.GetAtoms():
        skel.AddAtom(Chem.Atom(atom.GetAtomicNum()))
    for bond in mol.GetBonds():
        skel.AddBond(bond.GetBeginAtomIdx(), bond.GetEndAtomIdx(), Chem.BondType.SINGLE)
    skel = skel.GetMol()
    skel.UpdatePropertyCache(strict=False)
    Chem.FastFindRings(skel)
    return skel


def _match_by_connectivity(mol, elements: Sequence[str], xyz: np.ndarray) -> np.ndarray:
    """Slower fallback: bonds from interatomic distances (RDKit), then a graph isomorphism to the SMILES."""
    Chem = _rdkit()
    from rdkit.Chem import rdDetermineBonds

    block = f"{len(elements)}\n\n" + "\n".join(f"{e} {x:.6f} {y:.6f} {z:.6f}" for e, (x, y, z) in
                                               zip(elements, xyz))
    geo = Chem.MolFromXYZBlock(block)
    if geo is None:
        raise MoleculeError("RDKit cannot read the geometry")
    rdDetermineBonds.DetermineConnectivity(geo)
    if geo.GetNumBonds() != mol.GetNumBonds():
        raise MoleculeError(f"the geometry has {geo.GetNumBonds()} bonds by distance, the SMILES "
                            f"{mol.GetNumBonds()}: its connectivity differs from the SMILES")
    match = _skeleton(geo).GetSubstructMatch(_skeleton(mol))
    if len(match) != mol.GetNumAtoms():
        raise MoleculeError("the geometry's connectivity does not match the SMILES")
    return np.array(match, np.int64)


def graph_from_xyz(smiles: str, elements: Sequence[str], xyz: np.ndarray) -> MoleculeGraph:
    """MPNN graph of a QM9 molecule: chemistry from its SMILES, geometry from its (DFT) xyz coordinates.

    Fast path: QM9 xyz files usually list the heavy atoms in SMILES order; heavy atoms are matched by order
    (elements must agree), each hydrogen goes to its nearest heavy atom (per-atom H counts must agree) and every
    SMILES bond must be shorter than 2 angstrom. Otherwise the bonds are perceived from the distances (RDKit
    ``DetermineConnectivity``) and matched to the SMILES by graph isomorphism. A molecule whose connectivity
    differs from its SMILES raises :class:`MoleculeError`.
    """
    Chem = _rdkit()
    mol = Chem.AddHs(mol_from_smiles(smiles))
    n = mol.GetNumAtoms()
    if n != len(elements):
        raise MoleculeError(f"SMILES with hydrogens has {n} atoms, the geometry {len(elements)}")
    xyz = np.asarray(xyz, np.float64).reshape(n, 3)
    try:
        pos = _check_bond_lengths(mol, xyz[_match_by_order(mol, elements, xyz)])
    except MoleculeError:
        pos = _check_bond_lengths(mol, xyz[_match_by_connectivity(mol, elements, xyz)])
    return _graph_from_mol(mol, pos)


def _check_bond_lengths(mol, pos: np.ndarray, longest: float = 2.0) -> np.ndarray:
    """Bonded atoms must be close in the DFT geometry (catches a wrong atom mapping)."""
    for b in mol.GetBonds():
        if np.linalg.norm(pos[b.GetBeginAtomIdx()] - pos[b.GetEndAtomIdx()]) > longest:
            raise MoleculeError(f"a bond of the SMILES is longer than {longest} angstrom in the geometry")
    return pos


def graph_from_smiles(smiles: str, seed: int = 0) -> MoleculeGraph:
    """MPNN graph with an RDKit conformer (ETKDG embedding, then MMFF94 optimisation) as the geometry.

    Used to run the QM9 model on plain SMILES. The conformer is RDKit's, not the DFT (B3LYP) geometry QM9 was
    computed on, so predictions carry that extra error.
    """
    from rdkit.Chem import AllChem

    Chem = _rdkit()
    mol = Chem.AddHs(mol_from_smiles(smiles))
    params = AllChem.ETKDGv3()
    params.randomSeed = seed
    if AllChem.EmbedMolecule(mol, params) != 0:
        params.useRandomCoords = True
        if AllChem.EmbedMolecule(mol, params) != 0:
            raise MoleculeError("RDKit could not embed a 3D conformer (ETKDG, then from random coordinates)")
    if AllChem.MMFFHasAllMoleculeParams(mol):
        AllChem.MMFFOptimizeMolecule(mol, maxIters=500)
    pos = mol.GetConformer().GetPositions()
    return _graph_from_mol(mol, pos)


# --------------------------------------------------------------------------- quantities that cannot be negative

NON_NEGATIVE_TARGETS = {  # target name (as in zoo.data.qm9.TARGET_NAMES) -> why it is >= 0 by definition
    "mu": "the dipole moment's magnitude |mu|, the norm of a vector",
    "alpha": "the isotropic polarizability, the mean eigenvalue of a positive-definite tensor",
    "r2": "the electronic spatial extent <R^2>, the expectation of a square",
    "zpve": "the zero-point vibrational energy, a sum of h nu / 2 over the vibrational frequencies",
    "cv": "the heat capacity at constant volume, positive for any stable system",
}


def clamp_non_negative(values: Tensor, target_names: Sequence[str]) -> Tensor:
    """``values`` (molecules, targets) with the columns of quantities that cannot be negative
    (:data:`NON_NEGATIVE_TARGETS`) clamped at 0.

    A regressor's output is unbounded, so a model of the dipole moment can answer -0.11 D for benzene (true
    value 0). Clamping is the honest fix for weights already trained without a constraint: it only moves a
    prediction that is impossible to the nearest possible value, so it can only lower the absolute error.
    Applied to predictions in physical units only, never to the standardised output a loss is computed on.
    """
    columns = [i for i, name in enumerate(target_names) if name in NON_NEGATIVE_TARGETS]
    if not columns:
        return values
    values = values.clone()
    values[..., columns] = values[..., columns].clamp_min(0.0)
    return values


# ------------------------------------------------------------------------------------- the compact store


@dataclass
class MoleculeGraphs:
    """Many :class:`MoleculeGraph` concatenated into flat arrays (the on-disk and in-memory form).

    ``atom_ptr`` / ``bond_ptr`` hold the offsets of molecule ``i``'s atoms and bonds; ``y`` its targets;
    ``ids`` an identifier per molecule (row number in the source file). ``save`` writes a compressed ``.npz``.
    """

    z: np.ndarray
    flags: np.ndarray
    pos: np.ndarray
    bonds: np.ndarray  # (B, 2) uint8, local indices
    bond_types: np.ndarray
    atom_ptr: np.ndarray
    bond_ptr: np.ndarray
    y: np.ndarray  # (M, T) float32
    ids: np.ndarray  # (M,) int64
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_graphs(cls, graphs: list[MoleculeGraph], y: np.ndarray, ids: Sequence[int],
                    meta: dict | None = None) -> MoleculeGraphs:
        n_atoms = np.array([len(g.z) for g in graphs], np.int64)
        n_bonds = np.array([len(g.bond_types) for g in graphs], np.int64)
        if n_atoms.max(initial=0) > 255:
            raise MoleculeError("molecules above 255 atoms do not fit the compact store")
        cat = (lambda xs, shape, dtype: np.concatenate(xs).astype(dtype) if xs else np.zeros(shape, dtype))
        return cls(
            z=cat([g.z for g in graphs], (0,), np.int8), flags=cat([g.flags for g in graphs], (0,), np.uint8),
            pos=cat([g.pos for g in graphs], (0, 3), np.float32),
            bonds=cat([g.bonds for g in graphs], (0, 2), np.uint8),
            bond_types=cat([g.bond_types for g in graphs], (0,), np.uint8),
            atom_ptr=np.concatenate([[0], np.cumsum(n_atoms)]), bond_ptr=np.concatenate([[0], np.cumsum(n_bonds)]),
            y=np.asarray(y, np.float32).reshape(len(graphs), -1), ids=np.asarray(ids, np.int64), meta=meta or {})

    def save(self, path: str | Path, quantize_positions: bool = False) -> None:
        """Write a compressed ``.npz``. ``quantize_positions`` centres each molecule and stores its coordinates
        as int16 multiples of 0.001 angstrom (half the size; distances change by < 0.002 angstrom)."""
        import json

        from zoo.io import atomic_path

        n_atoms = np.diff(self.atom_ptr).astype(np.uint8)
        n_bonds = np.diff(self.bond_ptr).astype(np.uint8 if np.diff(self.bond_ptr).max(initial=0) < 256
                                                else np.int32)
        with atomic_path(path, suffix=".npz") as tmp:
            if quantize_positions:
                centre = np.repeat(np.add.reduceat(self.pos, self.atom_ptr[:-1], axis=0)
                                   / np.maximum(np.diff(self.atom_ptr), 1)[:, None], np.diff(self.atom_ptr), axis=0)
                positions = {"pos_milliangstrom": np.round((self.pos - centre) * 1000).astype(np.int16)}
            else:
                positions = {"pos": self.pos.astype(np.float32)}
            np.savez_compressed(tmp, z=self.z, flags=self.flags, **positions,
                                bonds=self.bonds, bond_types=self.bond_types, n_atoms=n_atoms, n_bonds=n_bonds,
                                y=self.y, ids=self.ids.astype(np.int32), meta=np.array(json.dumps(self.meta)))

    @classmethod
    def load(cls, path: str | Path) -> MoleculeGraphs:
        import json

        with np.load(path) as f:
            ptr = lambda n: np.concatenate([[0], np.cumsum(n.astype(np.int64))])
            pos = f["pos"] if "pos" in f.files else f["pos_milliangstrom"].astype(np.float32) / 1000
            return cls(z=f["z"], flags=f["flags"], pos=pos.astype(np.float32), bonds=f["bonds"],
                       bond_types=f["bond_types"], atom_ptr=ptr(f["n_atoms"]), bond_ptr=ptr(f["n_bonds"]),
                       y=f["y"], ids=f["ids"].astype(np.int64), meta=json.loads(str(f["meta"])))

    def graph(self, i: int) -> MoleculeGraph:
        a0, a1 = self.atom_ptr[i], self.atom_ptr[i + 1]
        b0, b1 = self.bond_ptr[i], self.bond_ptr[i + 1]
        return MoleculeGraph(self.z[a0:a1], self.flags[a0:a1], self.pos[a0:a1], self.bonds[b0:b1],
                             self.bond_types[b0:b1])

    def data(self, i: int, targets: Sequence[int] | None = None):
        """Molecule ``i`` as a ``torch_geometric.data.Data`` (x, z, pos, edge_index, edge_attr, y)."""

        return graph_to_data(self.graph(i), self.y[i] if targets is None else self.y[i, list(targets)],
                             idx=int(self.ids[i]))


def graph_to_data(g: MoleculeGraph, y: np.ndarray | None = None, idx: int = -1):
    from torch_geometric.data import Data

    z = torch.from_numpy(np.asarray(g.z, np.int64))
    bonds = torch.from_numpy(np.asarray(g.bonds, np.int64)).reshape(-1, 2)
    types = torch.from_numpy(np.asarray(g.bond_types, np.int64))
    edge_index = torch.cat([bonds, bonds.flip(1)]).t().contiguous()
    edge_attr = torch.nn.functional.one_hot(types, MPNN_BOND_DIM).float().repeat(2, 1)
    data = Data(x=mpnn_atom_features(z, torch.from_numpy(np.asarray(g.flags, np.int64))), z=z,
                pos=torch.from_numpy(np.asarray(g.pos, np.float32)), edge_index=edge_index, edge_attr=edge_attr)
    if y is not None:
        data.y = torch.as_tensor(np.asarray(y, np.float32)).reshape(1, -1)
    data.idx = torch.tensor([idx])
    return data


# ----------------------------------------------------------------------------------------- batch helpers


def featurize_many(items: Iterable, featurize: Callable, what: str = "molecule") -> tuple[list, list[int]]:
    """Apply ``featurize`` to every item; return ``(results, kept_indices)``.

    A molecule that raises :class:`MoleculeError` (or any RDKit error) is skipped; the skipped indices and
    reasons are logged, and a one-line warning gives the count, so one bad SMILES never stops a dataset.
    """
    results, kept, bad = [], [], []
    for i, item in enumerate(items):
        try:
            results.append(featurize(item))
            kept.append(i)
        except (MoleculeError, RuntimeError, ValueError) as err:
            bad.append((i, str(err)))
    if bad:
        shown = "; ".join(f"#{i}: {msg}" for i, msg in bad[:5])
        more = f" (and {len(bad) - 5} more)" if len(bad) > 5 else ""
        warnings.warn(f"skipped {len(bad)} of {len(bad) + len(kept)} {what}s that could not be featurized: "
                      f"{shown}{more}", stacklevel=2)
        for i, msg in bad:
            log.info("skipped %s #%d: %s", what, i, msg)
    return results, kept
