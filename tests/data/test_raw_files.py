"""Damaged raw files are one-line errors that name the file (zoo/data/raw_files.py)."""

import gzip

import numpy as np
import pytest

from zoo.data.raw_files import DataFileError, check_size, read_csv


def write_gz(path, text):
    with gzip.open(path, "wt") as f:
        f.write(text)


def test_read_csv_keeps_rows_and_their_lines(tmp_path):
    path = tmp_path / "a.csv.gz"
    write_gz(path, 'name,value,other\nx,1.5,\n"multi\nline",2,z\ny,-3e2,\n')
    table = read_csv(path, ("name", "value"), "the test source")
    assert [r["name"] for r in table.rows] == ["x", "multi\nline", "y"] and table.lines == [2, 4, 5]
    assert table.floats("value").tolist() == [1.5, 2.0, -300.0]
    assert len(read_csv(path, ("name",), "src", limit=2).rows) == 2


def test_a_missing_column_names_the_file_the_column_and_the_header_expected(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,valeu\nx,1\n")
    with pytest.raises(DataFileError) as err:
        read_csv(path, ("name", "value"), "the test source")
    message = str(err.value)
    assert str(path) in message and "no column 'value'" in message and "name,value" in message
    path.write_text("")
    with pytest.raises(DataFileError, match="its header: none"):
        read_csv(path, ("name",), "src")


@pytest.mark.parametrize("bad", ["nan", "", "inf", "-Infinity", "n/a", "1e400"])
def test_a_value_that_is_not_a_finite_number_names_its_lines(tmp_path, bad):
    path = tmp_path / "a.csv"
    path.write_text(f"name,value\nx,1\ny,{bad}\nz,2\nw,{bad}\n")
    with pytest.raises(DataFileError, match=r"a\.csv: column 'value' holds no finite number on lines 3, 5;"):
        read_csv(path, ("name", "value"), "src").floats("value")


def test_many_bad_lines_are_counted_not_all_listed(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("value\n" + "nan\n" * 12)
    with pytest.raises(DataFileError, match=r"on lines 2, 3, 4, 5, 6 and 7 more;"):
        read_csv(path, ("value",), "src").floats("value")


def test_a_file_with_more_rows_than_the_dataset_has_is_refused(tmp_path):
    path = tmp_path / "a.csv.gz"
    write_gz(path, "value\n" + "1\n" * 11)
    assert len(read_csv(path, ("value",), "src", max_rows=11).rows) == 11
    with pytest.raises(DataFileError, match="holds more than 10 rows, more than the dataset has"):
        read_csv(path, ("value",), "src", max_rows=10)


def test_a_short_row_is_named(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("name,value\nx,1\ny\n")
    with pytest.raises(DataFileError, match=r"line 3 has fewer fields than the 2 of its header"):
        read_csv(path, ("name", "value"), "src")


def test_truncated_damaged_or_binary_files_are_named(tmp_path):
    good = gzip.compress(("name,value\n" + "x,1\n" * 5000).encode())
    (tmp_path / "cut.csv.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "flipped.csv.gz").write_bytes(good[:-8] + bytes(8))  # CRC and size zeroed
    (tmp_path / "plain.csv.gz").write_bytes(b"name,value\nx,1\n")  # not gzip at all
    (tmp_path / "binary.csv").write_bytes(b"name,value\n\xff\xfe\x00\x81,1\n")
    for name, says in [("cut.csv.gz", "is truncated"), ("flipped.csv.gz", "not a readable gzip file"),
                       ("plain.csv.gz", "not a readable gzip file"), ("binary.csv", "is not a text file")]:
        with pytest.raises(DataFileError, match=says) as err:
            read_csv(tmp_path / name, ("name", "value"), "the test source")
        assert str(tmp_path / name) in str(err.value) and "the test source" in str(err.value)


def test_a_file_over_its_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(np.zeros(2048, np.uint8).tobytes())
    check_size(path, 2048, "test file")
    with pytest.raises(DataFileError, match="holds 2,048 bytes, more than the 1,024 a test file can need"):
        check_size(path, 1024, "test file")
