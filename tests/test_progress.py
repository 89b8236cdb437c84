"""zoo.progress: in a log (stderr not a terminal) each stage is exactly a start line and an end line, with no bar
characters or carriage returns; on a terminal a tqdm bar; a description of None is silent."""

import sys

import pytest
import tqdm

from zoo.progress import stage, step, track


def lines_of(text: str) -> list[str]:
    assert "\r" not in text and "\x1b" not in text and "█" not in text and "|" not in text
    return text.splitlines()


def test_a_stage_in_a_log_is_a_start_and_an_end_line(capfd):
    with stage("Parzen: the test set", 2_500, "points") as bar:
        for _ in range(5):
            bar.update(500)
    out, err = capfd.readouterr()
    assert out == ""
    start, end = lines_of(err)
    assert start == "Parzen: the test set: 2,500 points ..."
    assert end.startswith("Parzen: the test set: done, 2,500 points in ") and end.endswith(" s")


def test_track_counts_the_items_and_a_step_has_no_count(capfd):
    assert [x * 2 for x in track([1, 2, 3], "MOSES: filters", unit="mol")] == [2, 4, 6]
    with step("MOSES: reading the test and training sets"):
        pass
    lines = lines_of(capfd.readouterr().err)
    assert len(lines) == 4
    assert lines[0] == "MOSES: filters: 3 mol ..." and lines[1].startswith("MOSES: filters: done, 3 mol in ")
    assert lines[2] == "MOSES: reading the test and training sets ..."
    assert lines[3].startswith("MOSES: reading the test and training sets: done in ")


def test_a_failed_stage_does_not_say_done(capfd):
    with pytest.raises(RuntimeError), stage("ChemNet", 10, "mol"):
        raise RuntimeError("out of memory")
    assert lines_of(capfd.readouterr().err) == ["ChemNet: 10 mol ..."]


def test_no_description_is_silent(capfd):
    with stage(None, 10) as bar:
        bar.update(10)
    assert list(track(range(3), None)) == [0, 1, 2]
    with step(None):
        pass
    assert capfd.readouterr() == ("", "")


def test_a_terminal_gets_a_tqdm_bar(monkeypatch, capfd):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    with stage("FID: 100 generated images", 100, "img") as bar:
        assert isinstance(bar, tqdm.tqdm) and bar.total == 100
        bar.update(100)
    assert list(track(["CCO", "CCN"], "MOSES: canonical SMILES")) == ["CCO", "CCN"]
    err = capfd.readouterr().err
    assert "\r" in err and "MOSES: canonical SMILES:   0%" in err and "0/2" in err  # a bar, drawn in place
    assert ": done" not in err  # no log lines on a terminal
