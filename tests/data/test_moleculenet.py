import numpy as np
import pytest

from zoo.data import moleculenet


def test_random_split_sizes_and_determinism():
    a = moleculenet.random_split(1128, seed=0)
    assert [len(a[k]) for k in ("train", "val", "test")] == [902, 113, 113]
    assert np.array_equal(a["test"], moleculenet.random_split(1128, seed=0)["test"])
    assert not np.array_equal(a["test"], moleculenet.random_split(1128, seed=1)["test"])
    assert len(np.unique(np.concatenate(list(a.values())))) == 1128


def test_scaffold_split_keeps_scaffolds_apart():
    from rdkit.Chem.Scaffolds import MurckoScaffold

    smiles = ["c1ccccc1C", "c1ccccc1CC", "c1ccccc1O", "C1CCCCC1", "C1CCCCC1C", "CCO", "CCN", "c1ccncc1",
              "c1ccncc1C", "C1CC1"]
    split = moleculenet.scaffold_split(smiles)
    scaffold = lambda i: MurckoScaffold.MurckoScaffoldSmiles(smiles[i])
    train = {scaffold(i) for i in split["train"]}
    assert not train & {scaffold(i) for i in split["test"]}
    assert sum(len(v) for v in split.values()) == len(smiles)


def test_esol_datamodule(data_root):
    dm = moleculenet.MoleculeNetDataModule(dataset="esol", root=str(data_root), featurizer="nfp", seed=0)
    dm.setup()
    assert [len(dm.datasets[k]) for k in ("train", "val", "test")] == [902, 113, 113]
    assert dm.units == ["log10(mol/L)"]
    batch = next(iter(dm.test_dataloader()))
    assert batch.y.shape == (100, 1) and batch.x.shape[1] == 62
    with pytest.raises(ValueError, match="unknown MoleculeNet set"):
        moleculenet.MoleculeNetDataModule(dataset="tox21")


def test_freesolv_and_lipophilicity_read(data_root):
    smiles, y = moleculenet.read_csv("freesolv", str(data_root))
    assert len(smiles) == 642 and -26 < y.min() < y.max() < 4
    smiles, y = moleculenet.read_csv("lipophilicity", str(data_root))
    assert len(smiles) == 4200
