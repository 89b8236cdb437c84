"""QM9's CSV (``<root>/qm9/qm9.csv.gz``, read by :mod:`zoo.data.qm9`) made from QM9's own release.

The source is the one the dataset's authors published (Ramakrishnan et al. 2014, figshare collection 978904):
``dsgdb9nsd.xyz.tar.bz2``, one ``.xyz`` file per molecule (133,885), and ``uncharacterized.txt``, the 3,054
molecules that failed the authors' consistency check (PyG's ``QM9`` drops the same list, read the same way).
Neither of the other usual sources has what the zoo's loader reads: DeepChem's ``qm9.csv`` has no geometry,
and PyG's raw ``gdb9.sdf``/``gdb9.sdf.csv`` have no SMILES (PyG rebuilds bonds from the SDF).

An ``.xyz`` file: line 1 the atom count ``n``; line 2 ``gdb <index>`` and 15 properties (A, B, C in GHz, mu in D,
alpha in bohr^3, HOMO, LUMO, gap in Hartree, R2 in bohr^2, ZPVE, U0, U, H, G in Hartree, Cv in cal/(mol K));
then ``n`` lines ``element x y z charge`` (angstrom); then frequencies, the GDB-17 and the relaxed SMILES, and
InChIs. Numbers may be written Mathematica-style (``1.2*^-6``). A CSV row keeps the GDB-17 SMILES (no
stereo, Kekulé form, as in the zoo's copy), the elements and positions in file order, and the properties.

:func:`content_digest` hashes what the loader reads (index, SMILES, elements, positions and properties as
numbers), so the converted file is checked against the zoo's copy whatever the number formatting. (Rebuilt as
.xyz files, the 130,831 reference rows convert back to the reference CSV byte for byte, decompressed.)
"""

from __future__ import annotations

import ast
import csv
import gzip
import hashlib
import io
import re
import tarfile
from pathlib import Path

from zoo.progress import stage

XYZ_ARCHIVE_URL = "https://ndownloader.figshare.com/files/3195389"  # dsgdb9nsd.xyz.tar.bz2
UNCHARACTERIZED_URL = "https://ndownloader.figshare.com/files/3195404"  # uncharacterized.txt
NUM_MOLECULES = 133_885
NUM_UNCHARACTERIZED = 3054
MAX_XYZ_BYTES = 1 << 16
PROPERTIES = ("RotA_GHz", "RotB_GHz", "RotC_GHz", "Dipole_debye", "Polarizability_bohr3", "HOMO_au", "LUMO_au",
              "HOMO_LUMO_gap_au", "R2_bohr2", "ZPVE_au", "InternalEnergy_0K_au", "InternalEnergy_298K_au",
              "Enthalphy_298K_au", "GibbsFreeEnergy_298K_au", "Heatcapacity_Cv_cal_mol_K")
COLUMNS = ("XYZ_file", "Index", "SMILES", "N_atoms", "Elements", "XYZ_Ang", *PROPERTIES)
_XYZ_NAME = re.compile(r"(?:^|/)(dsgdb9nsd_\d+\.xyz)$")
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def number(text: str) -> float:
    """A number as the .xyz files write it (``1.5``, ``0.``, ``-2.1997*^-6``)."""
    return float(text.replace("*^", "e"))


def xyz_row(name: str, text: str) -> dict[str, str]:
    """One CSV row (the columns of :data:`COLUMNS`) from the text of one ``.xyz`` file."""
    lines = text.splitlines()
    n = int(lines[0])
    header = lines[1].split()
    if len(header) != 2 + len(PROPERTIES) or header[0] != "gdb":
        raise ValueError(f"{name}: line 2 is not 'gdb <index>' and {len(PROPERTIES)} properties")
    atoms = [line.split() for line in lines[2:2 + n]]
    smiles = lines[3 + n].split()[0]
    coordinates = ",".join("[" + ",".join(t.replace("*^", "E") for t in atom[1:4]) + "]" for atom in atoms)
    row = {"XYZ_file": name, "Index": header[1], "SMILES": smiles, "N_atoms": str(n),
           "Elements": "[" + ",".join(f"'{atom[0]}'" for atom in atoms) + "]", "XYZ_Ang": f"[{coordinates}]"}
    row.update({key: str(number(value)) for key, value in zip(PROPERTIES, header[2:])})
    return row


def uncharacterized_indices(text: str) -> set[int]:
    """The molecule indices listed in ``uncharacterized.txt`` (9 header lines and 2 footer lines, as PyG reads it)."""
    indices = {int(line.split()[0]) for line in text.split("\n")[9:-2]}
    if len(indices) != NUM_UNCHARACTERIZED:
        raise ValueError(f"uncharacterized.txt lists {len(indices)} molecules, expected {NUM_UNCHARACTERIZED}")
    return indices


def convert(inputs: list[Path], out: Path) -> None:
    """``[xyz archive, uncharacterized.txt]`` -> the gzipped CSV at ``out``, rows in index order."""
    archive, uncharacterized = inputs
    skip = uncharacterized_indices(uncharacterized.read_text())
    rows = []
    with stage("QM9 .xyz files", NUM_MOLECULES, "files") as bar, tarfile.open(archive, "r:*") as tar:
        for member in tar:  # members are read, never extracted: names cannot escape
            match = _XYZ_NAME.search(member.name)
            if member.isfile() and match:
                if member.size > MAX_XYZ_BYTES:  # QM9's are under 2 kB; never read a huge member into memory
                    raise ValueError(f"{member.name} is {member.size:,} bytes, not a QM9 .xyz file")
                row = xyz_row(match.group(1), tar.extractfile(member).read().decode())
                if int(row["Index"]) not in skip:
                    rows.append(row)
                bar.update(1)
    if not rows:
        raise ValueError(f"{archive.name} holds no dsgdb9nsd_*.xyz files")
    rows.sort(key=lambda r: int(r["Index"]))
    with gzip.GzipFile(out, "wb", mtime=0) as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        writer = csv.DictWriter(text, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def content_digest(path: Path) -> str:
    """sha256 over what the loader reads of a QM9 CSV: per row the index, SMILES, elements, and the positions
    and properties as floats (so ``0.`` and ``0.0``, ``*^`` and ``E`` count as the same number)."""
    sha = hashlib.sha256()
    with gzip.open(path, "rt", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            positions = [float(t) for t in _NUMBER.findall(row["XYZ_Ang"])]
            fields = [row["Index"], row["SMILES"], ",".join(ast.literal_eval(row["Elements"])),
                      ",".join(map(repr, positions)), ",".join(repr(float(row[p])) for p in PROPERTIES)]
            sha.update(("\t".join(fields) + "\n").encode())
    return sha.hexdigest()
