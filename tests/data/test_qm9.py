import numpy as np
import pytest

from zoo.data import qm9


@pytest.fixture(scope="module")
def first_rows(data_root):
    return qm9.process(str(data_root), limit=200)


def test_targets_in_pyg_units(first_rows):
    assert first_rows.meta["kept"] == 200 and first_rows.meta["skipped"] == 0
    methane = first_rows.y[0]  # dsgdb9nsd_000001
    assert qm9.TARGET_NAMES[7] == "U0" and qm9.UNITS[7] == "eV"
    np.testing.assert_allclose(methane[7], -40.47893 * qm9.HARTREE_TO_EV, rtol=1e-6)
    np.testing.assert_allclose(methane[2], -0.3877 * qm9.HARTREE_TO_EV, rtol=1e-6)  # HOMO
    np.testing.assert_allclose(methane[1], 13.21)  # alpha stays in bohr^3
    # atomization: U0 minus C + 4 H free-atom energies (QM9 atomref), about -17.17 eV for methane
    expected = (-40.47893 - (-37.846772 + 4 * -0.500273)) * qm9.HARTREE_TO_EV
    np.testing.assert_allclose(methane[12], expected, rtol=1e-6)
    assert -17.3 < methane[12] < -17.0
    assert first_rows.graph(0).z.tolist() == [6, 1, 1, 1, 1]


def test_split_is_deterministic_and_disjoint():
    a, b = qm9.split_indices(1000, num_val=100, num_test=100), qm9.split_indices(1000, num_val=100, num_test=100)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert len(a["train"]) == 800 and not set(a["val"]) & set(a["test"]) and not set(a["train"]) & set(a["val"])
    with pytest.raises(ValueError, match="cannot hold out"):
        qm9.split_indices(100)


def test_datamodule(data_root):
    dm = qm9.QM9DataModule(root=str(data_root), targets=[0, 4], limit=120, num_val=10, num_test=10,
                           batch_size=16)
    dm.setup()
    assert dm.target_names == ["mu", "gap"] and dm.units == ["D", "eV"]
    batch = next(iter(dm.train_dataloader()))
    assert batch.y.shape == (16, 2) and batch.pos.shape[1] == 3
    assert dm.train_targets().shape == (100, 2)
    with pytest.raises(ValueError, match="do not exist"):
        qm9.QM9DataModule(targets=[19])


@pytest.fixture
def qm9_copy(data_root, tmp_path):
    """The real QM9 CSV's header and first 5 rows, and a function writing edited rows as a data root's csv.gz."""
    import csv
    import gzip

    with gzip.open(data_root / qm9.CSV_PATH, "rt", newline="") as f:
        rows = [row for _, row in zip(range(6), csv.reader(f))]

    def write(rows, cut: int = 0):
        path = tmp_path / qm9.CSV_PATH
        path.parent.mkdir(exist_ok=True)
        with gzip.open(path, "wt", newline="") as f:
            csv.writer(f).writerows(rows)
        if cut:
            path.write_bytes(path.read_bytes()[:-cut])
        return tmp_path

    return rows, write


def test_damaged_qm9_csv_is_one_error_naming_the_file(qm9_copy):
    from zoo.data.raw_files import DataFileError

    rows, write = qm9_copy
    with pytest.raises(DataFileError, match="qm9.csv.gz is truncated"):  # was an EOFError
        qm9.process(str(write(rows, cut=200)))
    rows[3][rows[0].index("HOMO_au")] = "nan"
    with pytest.raises(DataFileError, match="qm9.csv.gz: column 'HOMO_au' holds no finite number on line 4;"):
        qm9.process(str(write(rows)))
    rows[0][rows[0].index("Elements")] = "elements"
    with pytest.raises(DataFileError, match="has no column 'Elements'"):  # was a KeyError
        qm9.process(str(write(rows)))
