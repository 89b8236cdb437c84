import pytest
import torch

from zoo.data.binarized_mnist import BinarizedMNISTDataModule
from zoo.data.binary import _Rows
from zoo.data.root import DataNotFoundError
from zoo.data.smiles import MOSES_CHARACTERS, moses_subset, smiles_characters
from zoo.data.text import NewsgroupsDataModule, load_20news, read_bag_of_words


def test_bag_of_words_ids_are_one_based(tmp_path):
    path = tmp_path / "x.feat"
    path.write_text("1 1:3 4:1\n1\n1 2:7\n")
    rows = read_bag_of_words(path, 4)
    assert rows.tolist() == [[1, 0, 0, 1], [0, 0, 0, 0], [0, 1, 0, 0]]
    path.write_text("1 5:1\n")
    with pytest.raises(ValueError, match="1-based"):
        read_bag_of_words(path, 4)


@pytest.mark.parametrize("content, says", [
    ("1 1:3\n1 x:2\n", r"x.feat:2: bad entry 'x:2'"),  # was int()'s message, without the file
    ("1 1:3 2:\n", r"x.feat:1: bad entry '2:'"),
    ("\n\n", "holds no documents"),  # was torch.stack's RuntimeError
    (b"1 1:\xff\xfe\n", "is not a text file"),
], ids=["word-not-a-number", "no-count", "empty", "binary"])
def test_a_damaged_feat_file_is_named(tmp_path, content, says):
    from zoo.data.raw_files import DataFileError

    path = tmp_path / "x.feat"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(DataFileError, match=says):
        read_bag_of_words(path, 4)


def test_a_feat_file_too_large_to_hold_is_refused_before_allocating(tmp_path, monkeypatch):
    from zoo.data import text

    path = tmp_path / "x.feat"
    path.write_text("1 1:1\n" * 1000)
    monkeypatch.setattr(text, "MAX_CELLS", 1000 * 1995 - 1)
    with pytest.raises(text.DataFileError, match="1,000 documents x 1,995 words is more than the 1,994,999 cells"):
        read_bag_of_words(path, 1995)
    monkeypatch.setattr(text, "MAX_FILE_BYTES", 100)
    with pytest.raises(text.DataFileError, match="holds 6,000 bytes, more than the 100"):
        read_bag_of_words(path, 1995)


def test_missing_data_says_where_to_get_it(tmp_path):
    with pytest.raises(DataNotFoundError, match="NVDM"):
        load_20news(tmp_path, "train")


def test_stochastic_binarization_draws_bits_from_grey_levels():
    torch.manual_seed(0)
    rows = _Rows(torch.full((1, 4000), 0.25), stochastic=True)
    bits = rows[0]
    assert set(bits.unique().tolist()) == {0.0, 1.0} and abs(bits.mean().item() - 0.25) < 0.03


def test_real_20news(data_root):
    dm = NewsgroupsDataModule(data_root, val_size=1000)
    assert dm.split("train").shape == (10258, 1995) and dm.split("test").shape == (7487, 1995)
    assert dm.split("test").sum(1).min() >= 1


def test_real_mnist_splits(data_root):
    dm = BinarizedMNISTDataModule(data_root)
    assert [dm.split(s).shape[0] for s in ("train", "val", "test")] == [50000, 10000, 10000]
    assert 0 <= dm.split("val").min() and dm.split("val").max() <= 1


def test_moses_subset_is_seeded_and_uses_the_fixed_characters(data_root):
    a, b = moses_subset(data_root, "test", 50, seed=0), moses_subset(data_root, "test", 50, seed=0)
    assert a == b and len(set(a)) == 50
    assert set(smiles_characters(a)) <= set(MOSES_CHARACTERS)


def test_maccs_keys_have_166_bits():
    pytest.importorskip("rdkit")
    from zoo.data.fingerprints import maccs_keys

    bits = maccs_keys(["c1ccccc1O", "not a smiles"])
    assert bits.shape == (2, 166) and bits[0].sum() > 0 and bits[1].sum() == 0


def test_a_truncated_moses_archive_is_one_error_naming_it(tmp_path):
    import gzip

    from zoo.data.raw_files import DataFileError
    from zoo.data.smiles import read_moses

    path = tmp_path / "moses" / "test.csv.gz"
    path.parent.mkdir()
    data = gzip.compress(("SMILES,SPLIT\n" + "CCO,test\n" * 20000).encode())
    path.write_bytes(data[: len(data) // 2])  # was gzip's EOFError
    with pytest.raises(DataFileError, match=f"{path} is truncated .*download it again from the MOSES benchmark"):
        read_moses(tmp_path, "test")
