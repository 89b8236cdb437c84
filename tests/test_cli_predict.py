"""`zoo predict`: a CSV or .smi file in, a CSV out (written atomically), one result per molecule."""

import csv

import pytest

from zoo import cli

ESOL = "log_solubility (log10(mol/L))"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def one_line_error(err: str) -> bool:
    return err.count("\n") == 1 and err.startswith("zoo predict: error: ") and "Traceback" not in err


def test_a_csv_in_gives_a_csv_out_with_every_input_column_kept(capsys, tmp_path):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with open(source, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["id", "Smiles", "note"], ["1", "CCO", "ethanol, neat"], ["2", "C1CC", ""],
                                 ["3", "CCCCCCCC O", ""], ["4", "CC\tN", ""], ["5", "C\nC", "a newline"],
                                 ["6", "CCÖ", ""], ["7", "[Na+].[Cl-]", "salt"], ["8", "c1ccccc1", ""]])
    code, stdout, stderr = run(capsys, "predict", "nfp-esol", "--input", str(source), "--output", str(out),
                               "--batch-size", "3")
    assert code == 0 and stdout.startswith(f"wrote {out}: 3 of 8 molecules predicted, 5 errors, 1 with warnings")
    assert "\r" not in stderr and len(stderr.splitlines()) <= 1  # not a terminal: no progress bar, one line
    rows = read_csv(out)
    assert list(rows[0]) == ["id", "Smiles", "note", ESOL, "error", "warning"]
    assert [r["id"] for r in rows] == [str(i) for i in range(1, 9)]  # every row, in order
    assert rows[0]["note"] == "ethanol, neat" and float(rows[0][ESOL]) == pytest.approx(0.7994, abs=1e-3)
    assert rows[4]["Smiles"] == "C\nC" and rows[4]["note"] == "a newline"  # the CSV quoting round-trips
    for row in rows[2:6]:  # whitespace, tab, newline, non-ASCII: refused, never another molecule
        assert row[ESOL] == "" and row["error"].startswith(("whitespace", "a non-ASCII character"))
    assert rows[1]["error"] == "RDKit cannot parse the SMILES 'C1CC'"
    assert rows[6]["warning"].startswith("2 fragments") and rows[6][ESOL] != ""
    assert rows[7]["error"] == rows[7]["warning"] == "" and float(rows[7][ESOL]) < 0


def test_a_smi_file_with_names(capsys, tmp_path):
    source, out = tmp_path / "library.smi", tmp_path / "out.csv"
    source.write_text("CCO ethanol\nc1ccccc1\tbenzene\nC1CC broken\n")
    code, _, _ = run(capsys, "predict", "nfp-esol", "--input", str(source), "--output", str(out))
    rows = read_csv(out)
    assert code == 0 and [(r["smiles"], r["name"]) for r in rows] == [
        ("CCO", "ethanol"), ("c1ccccc1", "benzene"), ("C1CC", "broken")]
    assert rows[2]["error"] and not rows[0]["error"]


def test_smiles_arguments_with_whitespace_or_non_ascii_get_an_error_line_each(capsys):
    code, out, _ = run(capsys, "predict", "nfp-esol", "--smiles", "CCCCCCCC O", "CC\tN", "C\nC", "CCÖ", "CCO")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 5  # a tab or newline in a SMILES does not break the table
    assert lines[0] == "'CCCCCCCC O'\terror: whitespace (' ') at position 9: a SMILES has none (RDKit would " \
                       "read only what comes before it); put a name in its own column"
    assert lines[1].startswith("'CC\\tN'\terror: whitespace") and lines[2].startswith("'C\\nC'\terror: whitespace")
    assert lines[3].startswith("'CCÖ'\terror: a non-ASCII character")
    assert lines[4].startswith("CCO\tlog_solubility = 0.799")


def test_the_output_appears_only_when_complete(capsys, tmp_path, monkeypatch):
    """An error in the middle of a run (here: the second batch) leaves the old output as it was, no new or
    partial file, and no temporary file."""
    from zoo.predict import SmilesPredictor

    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("smiles\nCCO\nCCC\nCCCC\nCCCCC\n")
    out.write_text("the previous results\n")
    real, batches = SmilesPredictor.predict, []

    def fails_on_the_second_batch(self, smiles):
        batches.append(smiles)
        if len(batches) == 2:
            raise RuntimeError("killed mid-way")
        return real(self, smiles)

    monkeypatch.setattr(SmilesPredictor, "predict", fails_on_the_second_batch)
    with pytest.raises(RuntimeError, match="killed mid-way"):  # a bug keeps its traceback
        cli.main(["predict", "nfp-esol", "--input", str(source), "--output", str(out), "--batch-size", "2"])
    assert out.read_text() == "the previous results\n" and sorted(p.name for p in tmp_path.iterdir()) == [
        "in.csv", "out.csv"]
    monkeypatch.setattr(SmilesPredictor, "predict", real)
    (tmp_path / "out.csv").unlink()
    source.write_text("smiles\nC1CC\nnot a molecule\n")  # nothing predictable: an error, and no file
    code, _, err = run(capsys, "predict", "nfp-esol", "--input", str(source), "--output", str(out))
    assert code == 2 and one_line_error(err.splitlines()[-1] + "\n") and "none of the 2 SMILES" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


@pytest.mark.parametrize("content, extra, says", [
    ("name,structure\nethanol,CCO\n", [], "no column named SMILES"),
    ("smiles,error\nCCO,x\n", [], "the input already has the column(s) 'error'"),
    ("smiles\n", [], "holds no molecules"),
    ("smiles\nCCO\n", ["--smiles-column", "structure"], "no column named 'structure'"),
    ("smiles\nCCO\n", ["--output", "SAME"], "is the input file"),
], ids=["no-smiles-column", "column-clash", "empty", "unknown-column", "output-is-input"])
def test_bad_inputs_are_one_line_errors_and_write_nothing(capsys, tmp_path, content, extra, says):
    source = tmp_path / "in.csv"
    source.write_text(content)
    output = ["--output", str(tmp_path / "out.csv")] if "--output" not in extra else []
    extra = [str(source) if a == "SAME" else a for a in extra]
    code, _, err = run(capsys, "predict", "nfp-esol", "--input", str(source), *output, *extra)
    assert code == 2 and says in err and err.splitlines()[-1].startswith("zoo predict: error: ")
    assert "Traceback" not in err and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    assert source.read_text() == content


def test_smiles_column_without_an_input_file_is_refused(capsys):
    code, _, err = run(capsys, "predict", "nfp-esol", "--smiles", "CCO", "--smiles-column", "x")
    assert code == 2 and one_line_error(err) and "--smiles-column" in err


def test_the_dipole_moment_of_benzene_is_not_negative(capsys):
    code, out, _ = run(capsys, "predict", "mpnn-qm9-mu", "--smiles", "c1ccccc1", "C(Cl)(Cl)(Cl)Cl")
    values = [float(line.split("mu = ")[1].split()[0]) for line in out.splitlines()]
    assert code == 0 and len(values) == 2 and all(v >= 0 for v in values)  # both symmetric: true value 0 D
