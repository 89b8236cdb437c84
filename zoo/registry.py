"""The zoo's two registries: architectures (code) and pretrained checkpoints (data).

Architecture and weights are named apart, as in timm: an *architecture* is a builder registered with
:func:`register_model` (``"gcn"``, ``"dcgan_generator"`` ...) that turns JSON-able constructor args into an
``nn.Module``; a *pretrained entry* (:class:`PretrainedCfg`) is one set of trained weights with a public id
``<method>-<dataset>`` (``"gcn-cora"``), its provenance, its measured metrics and where its files live.

Pretrained entries are JSON files in ``zoo/pretrained/<id>.json``. ``zoo export`` writes them, so the result
of a recipe becomes a registered, shipped model without hand-copying numbers into Python.
"""

from __future__ import annotations

import dataclasses
import difflib
import fnmatch
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch.nn as nn

from zoo.io import validate_id

PRETRAINED_DIR = Path(__file__).parent / "pretrained"


def pretrained_dir() -> Path:
    """Where the pretrained entries live: ``$ZOO_PRETRAINED_DIR`` (tests, private zoos) or ``zoo/pretrained``."""
    return Path(os.environ.get("ZOO_PRETRAINED_DIR") or PRETRAINED_DIR)

_MODELS: dict[str, Callable[..., nn.Module]] = {}


class UnknownModelError(KeyError):
    """Raised for an id or architecture that is not registered; the message lists the closest names."""

    def __str__(self) -> str:  # KeyError quotes its message; print it as a sentence instead
        return str(self.args[0])


def register_model(name: str) -> Callable:
    """Register an architecture builder (a class or function returning an ``nn.Module``) under ``name``."""

    def decorator(builder: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in _MODELS and _MODELS[name] is not builder:
            raise ValueError(f"architecture {name!r} is registered twice")
        _MODELS[name] = builder
        return builder

    return decorator


def list_architectures() -> list[str]:
    _import_families()
    return sorted(_MODELS)


def get_architecture(name: str) -> Callable[..., nn.Module]:
    if name not in _MODELS:
        _import_families(name)
    if name not in _MODELS:
        raise UnknownModelError(_unknown_message("architecture", name, sorted(_MODELS)))
    return _MODELS[name]


def create_model(architecture: str, **model_args: Any) -> nn.Module:
    """Build an untrained model: ``create_model("gcn", in_channels=1433, hidden_channels=16, out_channels=7)``."""
    return get_architecture(architecture)(**model_args)


@dataclass(frozen=True)
class Metric:
    """One number with its provenance: what was measured, on what, how, and the command that reproduces it."""

    name: str  # e.g. "test_accuracy", "fid", "mae"
    value: float
    unit: str = ""
    split: str = "test"
    std: float | None = None  # spread over seeds, when the value is a mean
    protocol: str = ""  # how it was measured: seeds, sample counts, extractor ...
    command: str = ""  # the command that reproduces it
    higher_is_better: bool = True


@dataclass(frozen=True)
class PaperResult:
    """A number reported in the literature, with its citation."""

    name: str
    value: float
    citation: str
    std: float | None = None
    unit: str = ""
    note: str = ""
    other_protocol: str = ""  # "" when measured as our metric of that name is; else the paper's way, in a few words,
    #                           and the two are never set side by side as comparable (MODEL_CARDS.md, the card)


HARDWARE_CLASSES = ("cpu", "gpu")


@dataclass(frozen=True)
class Reproduce:
    """The ``zoo train`` run that made a checkpoint's weights, as typed fields rather than a shell line.

    ``zoo reproduce ID`` runs exactly :attr:`command`: the recipe, ``zoo train``'s own options (``hardware`` as
    ``--device``, ``precision``, the ``max_minutes``/``cpu_minutes`` limits) and the LightningCLI ``overrides``.
    ``hardware`` is the class of machine the run needs: on a machine without a GPU, ``zoo reproduce`` of a
    ``"gpu"`` run says so, with ``minutes`` (how long it took there), instead of starting an hours-long CPU run.
    ``budget`` says in words what bounds the run. ``made_by`` is empty when the shipped weights came from exactly
    this command; otherwise it names what made them (an earlier script and the commit that had it), and the
    command is the ``zoo train`` run that replaces it.
    """

    recipe: str  # a LightningCLI YAML under recipes/
    overrides: tuple[str, ...] = ()  # LightningCLI options after the recipe, e.g. "--seed_everything=4"
    hardware: str = "cpu"  # one of HARDWARE_CLASSES; "gpu" runs pass --device gpu
    precision: str | None = None  # zoo train --precision, e.g. "bf16-mixed"; None: the recipe's
    max_minutes: float | None = None  # zoo train --max-minutes (wall clock)
    cpu_minutes: float | None = None  # zoo train --cpu-minutes (process CPU time)
    budget: str = ""  # what bounds the run, in words, e.g. "10 epochs (the recipe's max_epochs)"
    minutes: float | None = None  # wall-clock minutes the run took on ``hardware``
    made_by: str = ""  # "" when this command made the shipped weights

    def __post_init__(self) -> None:
        if not isinstance(self.recipe, str) or not self.recipe.endswith((".yaml", ".yml")):
            raise ValueError(f"reproduce.recipe must be a recipe YAML file, got {self.recipe!r}")
        if self.hardware not in HARDWARE_CLASSES:
            raise ValueError(f"reproduce.hardware must be one of {HARDWARE_CLASSES}, got {self.hardware!r}")
        if isinstance(self.overrides, str) or not all(isinstance(o, str) for o in self.overrides):
            raise ValueError(f"reproduce.overrides must be a list of option strings, got {self.overrides!r}")
        object.__setattr__(self, "overrides", tuple(self.overrides))

    @property
    def train_options(self) -> list[str]:
        """``zoo train``'s own options of the run, as command-line words."""
        words = ["--device", "gpu"] if self.hardware == "gpu" else []
        for flag, value in (("--precision", self.precision), ("--max-minutes", self.max_minutes),
                            ("--cpu-minutes", self.cpu_minutes)):
            if value is not None:
                words += [flag, f"{value:g}" if isinstance(value, float) else str(value)]
        return words

    @property
    def command(self) -> str:
        """The shell command, e.g. ``zoo train recipes/gcn/cora.yaml --seed_everything=4``."""
        import shlex

        return shlex.join(["zoo", "train", self.recipe, *self.train_options, *self.overrides])


# the fields of an entry a person writes (what the method, data and papers are); the others are measured or
# derived. Shipping scripts (bench/registry_fields.py) and `zoo export --id` (zoo/export_fields.py) copy these.
HAND_WRITTEN_FIELDS = ("method", "paper", "task", "dataset", "split", "evaluator", "license", "dataset_license", "tags",
                       "paper_results")


@dataclass(frozen=True)
class PretrainedCfg:
    """Everything known about one set of trained weights (cf. timm's ``PretrainedCfg``)."""

    id: str  # public id, "<method>-<dataset>"
    architecture: str  # registered builder name
    model_args: dict[str, Any]  # JSON-able constructor args
    method: str  # human name of the method
    paper: str  # citation of the method's paper
    task: str  # "node-classification", "image-generation", "graph-regression", ...
    dataset: str
    split: str  # which split was used to train / select / test
    reproduce: Reproduce  # the zoo train run that made the weights
    evaluator: str = ""  # name of the registered evaluator used by `zoo eval`
    metrics: tuple[Metric, ...] = ()
    paper_results: tuple[PaperResult, ...] = ()
    baselines: tuple[PaperResult, ...] = ()  # our own or published baselines shown beside the numbers
    hf_hub_id: str = ""  # "org/name" on the Hugging Face Hub
    revision: str | None = None  # pinned Hub commit; None until `zoo push` records one
    sha256: str = ""  # of model.safetensors
    license: str = "apache-2.0"
    dataset_license: str = ""
    tags: tuple[str, ...] = ()
    training: dict[str, Any] = field(default_factory=dict)  # hardware, wall time, epochs/steps, W&B run id
    notes: str = ""  # budget caveats and anything a user must know
    status: str = ""  # "" for a working checkpoint; else a short line (<= 55 characters) a user must see first,
    #                   e.g. "failed: draws grey noise"; `zoo list` and the top of the card show it; any id can be marked
    extra: dict[str, Any] = field(default_factory=dict)  # family-specific fields (units, image size ...)

    def metric(self, name: str) -> Metric:
        for m in self.metrics:
            if m.name == name:
                return m
        raise KeyError(f"{self.id} has no metric {name!r}; it has {[m.name for m in self.metrics]}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PretrainedCfg":
        known = {f.name for f in dataclasses.fields(cls)}
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in data and _required(f)]
        if missing:
            raise ValueError(f"pretrained config is missing required keys {missing}")
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"pretrained config has unknown keys {unknown}; known keys are {sorted(known)}")
        data = dict(data)
        data["metrics"] = tuple(Metric(**m) for m in data.get("metrics", ()))
        data["paper_results"] = tuple(PaperResult(**p) for p in data.get("paper_results", ()))
        data["baselines"] = tuple(PaperResult(**p) for p in data.get("baselines", ()))
        data["tags"] = tuple(data.get("tags", ()))
        if isinstance(data.get("reproduce"), dict):
            data["reproduce"] = Reproduce(**data["reproduce"])
        elif not isinstance(data.get("reproduce"), Reproduce):
            raise ValueError("pretrained config's 'reproduce' must be an object with at least a 'recipe' "
                             f"(the recipe YAML), got {data.get('reproduce')!r}")
        return cls(**data)


def _required(f: dataclasses.Field) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


# Each entry file is parsed once per version: {path: ((inode, mtime in ns, size), its entry)}. Every writer of an
# entry (zoo export, zoo push, zoo cards ...) replaces the file (zoo.io.write_text_atomic: a new inode) or rewrites
# it (a new mtime), so a changed file is parsed again and an unchanged one is not, whoever wrote it. A file changed
# in the last RECENT_NS is always parsed again: two writes within one tick of the file system's clock can leave
# the same mtime (git's "racily clean" index entries, the same rule).
_PARSED: dict[Path, tuple[tuple[int, int, int], PretrainedCfg]] = {}
RECENT_NS = 2_000_000_000


def _read_entry(path: Path) -> PretrainedCfg:
    """The entry in ``path``, parsed and checked, or the one parsed before if the file has not changed since."""
    stat = path.stat()
    version = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    known = _PARSED.get(path)
    if known is not None and known[0] == version and time.time_ns() - stat.st_mtime_ns > RECENT_NS:
        return known[1]
    try:
        cfg = PretrainedCfg.from_dict(json.loads(path.read_text()))
    except (ValueError, TypeError) as err:
        raise ValueError(f"{path}: {err}") from err
    if cfg.id != path.stem:
        raise ValueError(f"{path}: id {cfg.id!r} does not match the file name")
    validate_id(cfg.id)  # every id names a folder under checkpoints/: never a path
    _PARSED[path] = (version, cfg)
    return cfg


def load_pretrained_cfgs(directory: Path | None = None) -> dict[str, PretrainedCfg]:
    """Every entry in ``directory`` (the registry's, :func:`pretrained_dir`, by default), by id. A file is parsed
    the first time it is read and again only after it changes: ``zoo.load`` in a loop reads no JSON."""
    directory = directory or pretrained_dir()
    cfgs = {}
    for path in sorted(directory.glob("*.json")):
        cfg = _read_entry(path)
        cfgs[cfg.id] = cfg
    return cfgs


def list_models(pattern: str = "*") -> list[str]:
    """Ids of the pretrained checkpoints matching a shell-style ``pattern`` (``"gcn-*"``, ``"*mnist"``)."""
    return sorted(i for i in load_pretrained_cfgs() if fnmatch.fnmatch(i, pattern))


def get_pretrained_cfg(model_id: str) -> PretrainedCfg:
    cfgs = load_pretrained_cfgs()
    if model_id not in cfgs:
        raise UnknownModelError(_unknown_message("model id", model_id, sorted(cfgs)))
    return cfgs[model_id]


def _unknown_message(kind: str, name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return (
        f"unknown {kind} {name!r}.{hint} Known: {', '.join(known) or 'none'}. "
        "Run `zoo list` to see every id, or pass 'hf-hub:org/name' for a repo in the zoo's format."
    )


def _import_families(architecture: str | None = None) -> None:
    """Import the model families so their ``@register_model`` decorators run.

    With an ``architecture`` name, only the family file that registers it is imported (see
    :func:`zoo.models.import_family`): loading a GAN then imports neither torch_geometric nor the graph
    families, which keeps ``zoo.load`` close to the cost of ``import torch``.
    """
    import zoo.models

    if architecture is None or not zoo.models.import_family(architecture):
        zoo.models.import_all()
