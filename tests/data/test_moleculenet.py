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


@pytest.fixture
def esol_copy(data_root, tmp_path):
    """A data root holding the real esol.csv's header and first 40 rows, as csv rows to edit."""
    import csv

    with open(data_root / "moleculenet" / "esol.csv", newline="") as f:
        rows = list(csv.reader(f))[:41]
    (tmp_path / "moleculenet").mkdir()

    def write(rows):
        with open(tmp_path / "moleculenet" / "esol.csv", "w", newline="") as f:
            csv.writer(f).writerows(rows)
        return tmp_path

    return rows, write


def test_nan_targets_stop_zoo_eval_with_one_line_naming_the_file_and_rows(esol_copy, capsys):
    from zoo import cli

    rows, write = esol_copy
    target = rows[0].index("measured log solubility in mols per litre")
    rows[5][target], rows[9][target] = "nan", ""
    root = write(rows)
    code = cli.main(["eval", "nfp-esol", "--data-root", str(root)])
    out, err = capsys.readouterr()
    errors = [line for line in err.splitlines() if " ..." not in line]  # progress lines end in " ..."
    assert code == 2 and out == "" and len(errors) == 1 and errors[0].startswith("zoo eval: error: ")
    assert "Traceback" not in err
    assert f"{root / 'moleculenet' / 'esol.csv'}: column 'measured log solubility in mols per litre' holds no " \
        "finite number on lines 6, 10;" in err


def test_a_wrong_header_names_the_file_the_column_and_the_expected_header(esol_copy):
    rows, write = esol_copy
    rows[0] = [c.replace("measured log solubility", "log solubility") for c in rows[0]]
    root = write(rows)
    with pytest.raises(ValueError) as err:
        moleculenet.read_csv("esol", str(root))
    message = str(err.value)
    assert "esol.csv has no column 'measured log solubility in mols per litre'" in message
    assert "expected a header naming smiles,measured log solubility in mols per litre" in message
