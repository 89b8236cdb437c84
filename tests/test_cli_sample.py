"""`zoo sample` with a large --n: progress on stderr (a bar on a terminal, a start and an end line in a log), the
samples alone on stdout or in --out."""

import sys

import pytest

from zoo import cli


def run(capfd, *argv):
    code = cli.main(list(argv))
    out, err = capfd.readouterr()
    return code, out, err


def test_a_large_n_in_a_log_gets_two_lines_on_stderr_and_clean_stdout(capfd):
    code, out, err = run(capfd, "sample", "aae-20news", "--n", "2500", "--seed", "0")
    assert code == 0 and len(out.splitlines()) == 2500 and "sampling" not in out
    assert "\r" not in err and "█" not in err
    start, end = err.splitlines()
    assert start == "sampling aae-20news: 2,500 samples ..."
    assert end.startswith("sampling aae-20news: done, 2,500 samples in ")


def test_a_small_n_is_quiet(capfd):
    code, out, err = run(capfd, "sample", "aae-20news", "--n", "1000")
    assert code == 0 and len(out.splitlines()) == 1000 and err == ""


def test_a_terminal_gets_a_bar_unless_the_lines_are_printed_on_it(capfd, monkeypatch, tmp_path):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(capfd, "sample", "aae-20news", "--n", "2500", "--out", str(tmp_path / "docs.txt"))
    assert code == 0 and "\r" in err and "sampling aae-20news:" in err  # the bar, drawn in place
    assert len((tmp_path / "docs.txt").read_text().splitlines()) == 2500
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, err = run(capfd, "sample", "aae-20news", "--n", "2500")
    assert code == 0 and len(out.splitlines()) == 2500 and err == ""  # no bar redrawn amid the printed lines


def test_smiles_show_progress_while_they_are_decoded(capfd, monkeypatch):
    pytest.importorskip("rdkit")
    monkeypatch.setattr(cli, "SAMPLE_PROGRESS_FROM", 10)  # 20 SMILES stand for a large n, quickly
    code, out, err = run(capfd, "sample", "aae-moses", "--n", "20", "--seed", "0")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 21 and lines[-1].endswith("/20 valid")  # the samples and their summary
    start, end = err.splitlines()
    assert start == "sampling aae-moses: 20 SMILES ..." and end.startswith("sampling aae-moses: done, 20 SMILES")
