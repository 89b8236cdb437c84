"""zoo.molecule_files: the SMILES column of a CSV/TSV, .smi files, and rows that cannot be trusted."""

import gzip

import pytest

from zoo.molecule_files import open_table


def test_the_smiles_column_is_found_in_any_case_and_every_column_kept(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('id,Smiles,note\n1,CCO,"ethanol, neat"\n2,c1ccccc1\n\n3,CC,x,extra\n')
    table = open_table(path)
    assert table.columns == ["id", "Smiles", "note"] and table.count() == 3  # the blank line is skipped
    rows = list(table.rows())
    assert [r.smiles for r in rows] == ["CCO", "c1ccccc1", "CC"]
    assert rows[0].fields == ["1", "CCO", "ethanol, neat"] and not rows[0].problem
    assert rows[1].fields == ["2", "c1ccccc1", ""] and not rows[1].problem  # a short row is filled
    assert rows[2].fields == ["3", "CC", "x"] and "line 5 has 4 fields, the header 3" in rows[2].problem
    assert [len(b) for b in table.batches(2)] == [2, 1]


def test_smiles_column_named_or_refused(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("name,structure,smiles_source\nethanol,CCO,pubchem\n")
    with pytest.raises(ValueError, match="no column named SMILES .*'structure'.*--smiles-column"):
        open_table(path)
    assert [r.smiles for r in open_table(path, "STRUCTURE").rows()] == ["CCO"]
    with pytest.raises(ValueError, match="no column named 'smi'"):
        open_table(path, "smi")
    path.write_text("smiles,SMILES\nC,CC\n")
    with pytest.raises(ValueError, match="2 column named SMILES"):
        open_table(path)
    assert [r.smiles for r in open_table(path, "SMILES").rows()] == ["CC"]  # the exact name wins


def test_smi_files_with_names_tabs_a_header_and_gzip(tmp_path):
    path = tmp_path / "in.smi.gz"
    with gzip.open(path, "wt") as f:
        f.write("SMILES Name\nCCO ethanol\nc1ccccc1\tbenzene ring\n\nCC\n")
    table = open_table(path)
    assert table.columns == ["smiles", "name"]
    assert [r.fields for r in table.rows()] == [["CCO", "ethanol"], ["c1ccccc1", "benzene ring"], ["CC", ""]]
    with pytest.raises(ValueError, match="--smiles-column applies to a CSV"):
        open_table(path, "smiles")


def test_files_that_cannot_be_tables_are_refused(tmp_path):
    with pytest.raises(ValueError, match="give a .csv or .tsv file with a SMILES column, or a .smi file"):
        open_table(tmp_path / "molecules.xlsx")
    with pytest.raises(FileNotFoundError, match="not found"):
        open_table(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ValueError, match="is empty"):
        open_table(tmp_path / "empty.csv")
    (tmp_path / "latin1.tsv").write_bytes(b"smiles\tname\nCCO\t\xe9thanol\n")
    with pytest.raises(ValueError, match="latin1.tsv is not UTF-8 text .*save it as UTF-8"):
        open_table(tmp_path / "latin1.tsv").count()
