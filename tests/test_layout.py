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


NAMEDTUPLE_API = {"_fields", "_replace", "_asdict", "_make"}  # public: the underscore keeps them apart from fields


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__")) and name not in NAMEDTUPLE_API


def _zoo_private_names() -> set[str]:
    """Every underscore name the zoo defines: functions, classes, module and class variables, attributes it
    assigns (``self._x = ...``), arguments and imports under an underscore alias."""
    names = set()
    for path in ZOO.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.add(node.asname or node.name.split(".")[0])
    return {n for n in names if _is_private(n)}


def test_no_module_touches_an_underscore_attribute_of_another_librarys_object():
    """Only public APIs of Lightning, PyG, torch and wandb: an ``obj._name`` (or ``getattr(obj, "_name")``) in the
    zoo must name something the zoo itself defines. An upgrade of a library can change its private parts silently."""
    own = _zoo_private_names()
    found = []
    for path in sorted(ZOO.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("getattr", "setattr", "hasattr")
                  and len(node.args) > 1 and isinstance(node.args[1], ast.Constant)
                  and isinstance(node.args[1].value, str)):
                name = node.args[1].value
            if name is not None and _is_private(name) and name not in own:
                found.append(f"{path.relative_to(ZOO.parent)}:{node.lineno} {name}")
    assert found == []


def test_no_module_imports_a_private_name_of_another_library():
    found = []
    for path in sorted(ZOO.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and not node.module.startswith("zoo") and node.level == 0:
                found += [f"{path.relative_to(ZOO.parent)}:{node.lineno} {node.module}.{a.name}"
                          for a in node.names if _is_private(a.name)]
                if any(_is_private(part) for part in node.module.split(".")):
                    found.append(f"{path.relative_to(ZOO.parent)}:{node.lineno} {node.module}")
            elif isinstance(node, ast.Import):
                found += [f"{path.relative_to(ZOO.parent)}:{node.lineno} {a.name}" for a in node.names
                          if any(_is_private(part) for part in a.name.split("."))]
    assert found == []


def test_zoo_io_names_are_imported_from_zoo_io():
    """zoo.hub uses zoo.io's helpers but does not re-export them: one name, one home."""
    io_names = {n.name for n in ast.parse((ZOO / "io.py").read_text()).body
                if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    found = []
    for path in [*ZOO.rglob("*.py"), *(ZOO.parent / "bench").rglob("*.py"), *(ZOO.parent / "tests").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "zoo.hub":
                found += [f"{path.name}: {a.name}" for a in node.names if a.name in io_names]
    assert found == []


# Layers from top to bottom (ARCHITECTURE.md): a module imports only modules of its own layer or below. A name
# stands for the module and everything under it; the longest matching prefix decides.
LAYERS = (
    ("zoo.cli",),
    ("zoo.training", "zoo.reproduce", "zoo.run_folder", "zoo.export_fields", "zoo.run_end", "zoo.run_checkpoints",
     "zoo.config_errors", "zoo.recipe_names"),
    ("zoo", "zoo.export", "zoo.cards", "zoo.push", "zoo.figures", "zoo.evaluation", "zoo.predict",
     "zoo.molecule_files"),
    ("zoo.systems", "zoo.callbacks"),
    ("zoo.data", "zoo.metrics"),
    ("zoo.models", "zoo.nn", "zoo.chem", "zoo.losses"),
    ("zoo.registry", "zoo.hub", "zoo.hub_client", "zoo.io", "zoo.model_size", "zoo.progress", "zoo.image_grid",
     "zoo.project", "zoo.run_metrics", "zoo.wandb_offline", "zoo.ranks"),
)
# The one import that goes up, and why: the registry finds an architecture by importing the family module that
# registers it (zoo.models.import_family), as a plugin table does.
UPWARD_ALLOWED = {("zoo.registry", "zoo.models")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ZOO.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> int:
    best, layer = -1, None
    for i, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > best:
                best, layer = len(name), i
    assert layer is not None, f"{module} has no layer in tests/test_layout.py LAYERS: add it"
    return layer


def _zoo_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every zoo import in ``path``, at module or function level; ``from zoo import x`` names
    ``zoo.x`` when x is a module. A module's ``if __name__ == "__main__":`` block is a program, above every layer."""
    module = _module_name(path)
    tree = ast.parse(path.read_text())
    programs = {id(n) for top in tree.body if isinstance(top, ast.If) and "__main__" in ast.unparse(top.test)
                for n in ast.walk(top)}
    found = []
    for node in ast.walk(tree):
        if id(node) in programs:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "zoo"]
        elif isinstance(node, ast.ImportFrom):
            package = module if path.name == "__init__.py" else module.rpartition(".")[0]
            base = (".".join(package.split(".")[:len(package.split(".")) - node.level + 1]) if node.level else "")
            target = ".".join(p for p in (base, node.module or "") if p)
            if target.split(".")[0] != "zoo":
                continue
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                is_module = (ZOO.parent / Path(*sub.split("."))).with_suffix(".py").is_file() or \
                    (ZOO.parent / Path(*sub.split("."))).is_dir()
                found.append((node.lineno, sub if is_module else target))
    return found


def test_imports_point_down_the_layers():
    """cli -> training -> export/cards -> systems -> data, metrics -> models, nn -> registry, hub, io: nothing
    imports a module of a higher layer, at module level or inside a function."""
    up = []
    for path in sorted(ZOO.rglob("*.py")):
        module = _module_name(path)
        for line, target in _zoo_imports(path):
            pair = next((p for p in UPWARD_ALLOWED if module.startswith(p[0]) and target.startswith(p[1])), None)
            if pair is None and _layer(target) < _layer(module):
                up.append(f"{path.relative_to(ZOO.parent)}:{line} {module} -> {target}")
    assert up == []


def test_the_layer_check_sees_an_upward_import(tmp_path, monkeypatch):
    """The check above can fail: a systems module importing the training path is caught, at function level too."""
    fake = ZOO / "systems" / "molecule.py"
    source = "def f():\n    from zoo.training import fit\n"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source)
    assert _zoo_imports(fake) == [(2, "zoo.training")]
    assert _layer("zoo.training") < _layer(_module_name(fake))


def test_one_rank_zero_check():
    """Outside a Trainer, which process is the first one is read from the environment in one place, zoo.ranks."""
    readers = [str(p.relative_to(ZOO.parent)) for p in ZOO.rglob("*.py") if p.name != "ranks.py"
               and any(f'"{name}"' in p.read_text() for name in ("RANK", "LOCAL_RANK", "NODE_RANK"))]
    assert readers == []
