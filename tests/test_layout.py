"""The house rules that keep one home per concern, checked on the source (DESIGN.md, sections 1 and 5)."""

import ast
from pathlib import Path

import pytest

ZOO = Path(__file__).resolve().parents[1] / "zoo"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


SHIPPED = sorted([*(ZOO / "models").glob("*.py"), *(ZOO / "nn").glob("*.py")])


@pytest.mark.parametrize("path", SHIPPED, ids=[str(p.relative_to(ZOO)) for p in SHIPPED])
def test_shipped_modules_import_no_training_data_or_metrics_code(path):
    """What ships is a plain nn.Module: no Lightning, and nothing from data, metrics or systems (chemistry comes
    from zoo.chem)."""
    forbidden = ("lightning", "pytorch_lightning", "zoo.data", "zoo.metrics", "zoo.systems", "zoo.training")
    bad = sorted(m for m in imported_modules(path) if m.startswith(forbidden))
    assert not bad, f"{path.name} imports {bad}"


def test_chemistry_is_lightning_free_and_self_contained():
    bad = sorted(m for m in imported_modules(ZOO / "chem.py") if m.startswith(("lightning", "zoo.data", "zoo.metrics",
                                                                                 "zoo.systems", "zoo.models")))
    assert not bad


def test_only_the_training_path_builds_a_trainer():
    repo = ZOO.parent
    builders = []
    for path in [*ZOO.rglob("*.py"), *(repo / "bench").rglob("*.py")]:
        text = path.read_text()
        if any(s in text for s in ("Trainer(", "LightningCLI(")) and path.name != "training.py":
            builders.append(str(path.relative_to(repo)))
    assert builders == []


def test_no_bench_script_edits_sys_path():
    """bench/ is a package of entry points run with ``python -m bench.<module>`` from the repository root; a
    script that puts folders on ``sys.path`` imports what it should name."""
    repo = ZOO.parent
    editors = []
    for path in (repo / "bench").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "path" and getattr(node.value, "id", None) == "sys":
                editors.append(str(path.relative_to(repo)))
    assert editors == []
