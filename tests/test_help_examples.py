"""Every ``zoo ...`` example in the ``--help`` texts and in the README's shell blocks runs (issue 20).

Examples are collected from the text a user reads: each subcommand's ``--help`` (lines starting with ``zoo ``;
two spaces or more end the command, a description follows) and the README's ``bash`` blocks (after ``&&``, with
environment assignments and ``#`` comments dropped). ``<hash>`` stands for a run folder ``zoo train`` made: the test
makes it with a one-epoch run of that recipe and puts its folder in the example.

Cheap examples run for real, in a scratch folder that sees the repository's ``recipes/`` and ``docs/``, with
a private registry and checkpoints folder: training for one epoch (``--trainer.max_epochs=1`` appended; the budget
is not part of a run's identity, so ``<hash>`` is the folder the full command would use), evaluation with the
quick evaluators, prediction, sampling, export and reproduction. The others (a GPU run, hours of FID, a download,
a push, regenerating the cards) are parsed by the command's own parser and their ids and recipes checked; a
training recipe is also instantiated with the example's options, which is where the fine-tuning example of
``zoo train --help`` used to fail.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from zoo.cli import build_parser, main

REPO = Path(__file__).resolve().parents[1]
CHEAP_EVALUATORS = {"planetoid-accuracy", "moleculenet-regression"}
CHEAP_RECIPES = {"recipes/gcn/cora.yaml", "recipes/gcn/citeseer.yaml", "recipes/gcn/finetune-citeseer.yaml"}
NEVER_RUN = {"push", "cards", "data get"}  # the network, the repository's own files
ONE_EPOCH = "--trainer.max_epochs=1"


def _help(argv: list[str]) -> str:
    """What ``zoo ARGV --help`` prints."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--help"])
    return out.getvalue()


def _subcommands(argv: list[str]) -> list[str]:
    """The subcommands of ``zoo ARGV``, read from its usage line (``{list,info,...}``)."""
    choices = re.search(r"\{([a-z,-]+)\}", _help(argv))
    return choices.group(1).split(",") if choices else []


def help_examples() -> list[str]:
    """``zoo ...`` lines of every subcommand's ``--help`` (two spaces or more end the command)."""
    texts = []
    for command in _subcommands([]):
        texts.append(_help([command]))
        texts += [_help([command, sub]) for sub in _subcommands([command])]
    return [re.split(r"\s{2,}", line.strip())[0] for text in texts for line in text.splitlines()
            if line.strip().startswith("zoo ")]


def readme_examples() -> list[str]:
    """``zoo ...`` commands of the README's shell blocks."""
    found, language = [], None
    for line in (REPO / "README.md").read_text().splitlines():
        if line.startswith("```"):
            language = line[3:].strip() if language is None else None
            continue
        if language not in ("bash", "sh", ""):
            continue
        for part in line.split("#")[0].split("&&"):
            words = shlex.split(part)
            while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
                words = words[1:]
            if words[:1] == ["zoo"]:
                found.append(" ".join(words))
    return found


EXAMPLES = list(dict.fromkeys(help_examples() + readme_examples()))


def test_the_examples_are_found():
    assert len(help_examples()) >= 10 and len(readme_examples()) >= 8
    assert any("finetune-citeseer" in e for e in help_examples())
    assert any(e.startswith("zoo export runs/") for e in EXAMPLES)


@pytest.fixture
def scratch(tmp_path, monkeypatch, data_root):
    """A working folder seeing the repository's recipes and docs, with a private registry and checkpoints (the
    shipped ones linked in, read-only): exports and runs land here."""
    for name in ("recipes", "docs"):
        (tmp_path / name).symlink_to(REPO / name)
    registry, checkpoints = tmp_path / "zoo-registry", tmp_path / "zoo-checkpoints"
    shutil.copytree(REPO / "zoo" / "pretrained", registry)
    checkpoints.mkdir()
    for folder in (REPO / "checkpoints").iterdir():
        if folder.is_dir():
            (checkpoints / folder.name).symlink_to(folder)
    monkeypatch.setenv("ZOO_PRETRAINED_DIR", str(registry))
    monkeypatch.setenv("ZOO_CHECKPOINTS", str(checkpoints))
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run_folder(pattern: str) -> str:
    """``runs/gcn/cora/<hash>`` -> the folder of a one-epoch run of ``recipes/gcn/cora.yaml``."""
    recipe = "recipes/" + pattern.split("runs/")[1].split("/<hash>")[0] + ".yaml"
    assert main(["train", recipe, ONE_EPOCH]) == 0
    (folder,) = Path(".").glob(pattern.replace("<hash>", "*"))
    return folder.as_posix()


def _is_cheap(words: list[str]) -> bool:
    from zoo.registry import get_pretrained_cfg, list_models

    command = " ".join(words[:2])
    if words[0] in NEVER_RUN or command in NEVER_RUN:
        return False
    if words[0] in ("train",):
        return words[1] in CHEAP_RECIPES and "gpu" not in words
    if words[0] == "reproduce":
        return get_pretrained_cfg(words[1]).reproduce.recipe in CHEAP_RECIPES
    if words[0] == "eval" and words[1] in list_models():
        return get_pretrained_cfg(words[1]).evaluator in CHEAP_EVALUATORS
    return True


def _check_without_running(words: list[str]) -> None:
    """Parse with the command's own parser; ids and recipes exist; a training recipe instantiates."""
    from zoo.registry import get_pretrained_cfg
    from zoo.training import instantiate

    args, extra = build_parser().parse_known_args(words)
    if getattr(args, "id", None):
        get_pretrained_cfg(args.id)
    if words[0] == "train":
        lightning = [w for w in extra if w.startswith("--")]
        instantiate(Path(args.recipe), [*lightning, "--trainer.logger=false"])


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_example_runs(example, scratch, capsys):
    words = shlex.split(example)[1:]
    words = [_run_folder(w.split("/checkpoints")[0]) + w[len(w.split("/checkpoints")[0]):] if "<hash>" in w else w
             for w in words]
    capsys.readouterr()
    if not _is_cheap(words):
        _check_without_running(words)
        return
    if words[0] in ("train", "reproduce"):
        words.append(ONE_EPOCH)
    code = main(words)
    captured = capsys.readouterr()
    assert code == 0, f"`{example}` failed: {captured.err[-800:]}"
    if words[0] == "train":
        assert "zoo train: complete" in captured.out and "test metrics" in captured.out
