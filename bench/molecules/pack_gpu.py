"""Write the compact data the GPU run needs into ``.gpu/data`` (the GPU machine has no RDKit).

- ``qm9/qm9_graphs.npz``: all 130,829 QM9 graphs (explicit H, int16 milli-angstrom centred positions), targets
  mu, HOMO, LUMO, gap, U0_atom only (others zeroed), about 16.5 MB;
- ``moleculenet/freesolv.csv`` and its MPNN featurization with RDKit conformers (for the fine-tuning runs).

    ZOO_DATA_ROOT=../shared/data python bench/molecules/pack_gpu.py [--out .gpu/data]
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from common import REPO

QM9_TARGETS = [0, 2, 3, 4, 12]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / ".gpu" / "data")
    args = parser.parse_args()

    from zoo.data import qm9
    from zoo.data.moleculenet import DATASETS, MoleculeNetDataModule, _cache_path, read_csv
    from zoo.data.root import data_root

    qm9.main(["pack", str(args.out / "qm9" / qm9.PACKED_NAME), "--quantize", "--targets",
              *map(str, QM9_TARGETS)])
    dm = MoleculeNetDataModule(dataset="freesolv", featurizer="mpnn")
    dm.setup()  # computes (or reuses) the cached conformers
    smiles, _ = read_csv("freesolv")
    target = args.out / "moleculenet"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(data_root() / "moleculenet" / DATASETS["freesolv"][0], target / DATASETS["freesolv"][0])
    cache = _cache_path("freesolv", "mpnn", smiles)
    shutil.copy(cache, target / cache.name)
    total = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file() and
                p.parts[len(args.out.parts)] in ("qm9", "moleculenet"))
    print(f"packed into {args.out}: {total / 1e6:.1f} MB for the molecule family")


if __name__ == "__main__":
    main()
