"""A ``zoo train`` run read back from its folder, for ``zoo eval RUN`` and ``zoo export RUN``.

A run is named by its folder (``runs/gcn/cora/<hash>``) or by one of its checkpoints
(``runs/gcn/cora/<hash>/checkpoints/last.ckpt``). From the folder come:

- the checkpoint that is the run's result: the given one, else the recipe's best monitored checkpoint (its path
  as ``last.ckpt``'s ``ModelCheckpoint`` state records it), else ``last.ckpt``, as :attr:`zoo.training.Run.
  weights_checkpoint` picks it during the run;
- the recipe and options (``zoo_run.json``, written by :func:`zoo.training.fit`; for a folder from before that
  file, the recipe is read off the path ``runs/<method>/<recipe>/<hash>``);
- the W&B run id (``wandb_run_id``);
- the shipped id whose protocol scores the run (:func:`protocol_id`): the one whose ``reproduce.recipe`` is the
  run's recipe; among several, the one whose architecture and model_args are the checkpoint's; with no recipe
  match, the one id of that architecture and model_args. Otherwise the user names it (``--protocol ID``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.training import CHECKPOINTS, RUN_ID_FILE, RUN_ID_PATTERN, RUN_RECORD


class RunFolderError(ValueError):
    """A path that is not a run folder or checkpoint, or a run whose protocol cannot be chosen; says what to do."""


@dataclass
class TrainedRun:
    """What a run folder says about its run."""

    dir: Path | None  # None for a checkpoint outside any run folder
    checkpoint: Path
    recipe: str | None = None  # as recorded ("recipes/gcn/cora.yaml"), None when unknown
    overrides: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)  # zoo train's own: device, precision, max_minutes ...
    wandb_run_id: str | None = None
    counters: dict[str, Any] = field(default_factory=dict)  # epoch, global_step of the checkpoint


def looks_like_run(text: str) -> bool:
    """Whether ``zoo eval``/``zoo export`` should read ``text`` as a run folder or checkpoint, not an id: a path
    (a separator, a ``.ckpt``), or an existing file or folder that is not also a shipped id's name."""
    from zoo.registry import list_models

    if text.startswith("hf-hub:"):
        return False
    if text.endswith(".ckpt") or "/" in text or "\\" in text:
        return True
    return Path(text).exists() and text not in list_models()


def open_run(path: str | Path) -> TrainedRun:
    """The run named by a run folder or one of its checkpoints; see the module docstring."""
    path = Path(path)
    if not path.exists():
        raise RunFolderError(f"{path} does not exist; pass a run folder (runs/<method>/<recipe>/<hash>) or one of "
                             "its checkpoints (.../checkpoints/last.ckpt), or a shipped id (`zoo list`)")
    if path.is_dir():
        run_dir, checkpoint = path, _result_checkpoint(path)
    else:
        if path.suffix != ".ckpt":
            raise RunFolderError(f"{path} is neither a run folder nor a Lightning checkpoint (.ckpt)")
        checkpoint = path
        run_dir = path.parent.parent if path.parent.name == CHECKPOINTS else path.parent
        if not (run_dir / RUN_RECORD).is_file() and not (run_dir / "config.yaml").is_file():
            run_dir = None
    run = TrainedRun(dir=run_dir, checkpoint=checkpoint, counters=_counters(checkpoint))
    if run_dir is not None:
        _read_record(run)
    return run


def _result_checkpoint(run_dir: Path) -> Path:
    last = run_dir / CHECKPOINTS / "last.ckpt"
    if not last.is_file():
        found = sorted((run_dir / CHECKPOINTS).glob("*.ckpt")) if (run_dir / CHECKPOINTS).is_dir() else []
        if not found:
            raise RunFolderError(f"{run_dir} holds no checkpoint ({CHECKPOINTS}/*.ckpt): it is not a run folder, or "
                                 "its run stopped before the end of its first epoch; rerun its `zoo train` command")
        return max(found, key=lambda p: p.stat().st_mtime_ns)
    return _best_of(last) or last


def _best_of(last: Path) -> Path | None:
    """The best monitored checkpoint that ``last``'s ``ModelCheckpoint`` state names, if it is in the folder."""
    import torch

    try:
        state = torch.load(last, map_location="cpu", weights_only=True)
    except Exception as err:  # a damaged last.ckpt: the run's own error message names the intact ones
        raise RunFolderError(f"{last} is not a readable checkpoint ({type(err).__name__}); name an intact "
                             "checkpoint of the run instead") from None
    for callback in (state.get("callbacks") or {}).values() if isinstance(state, dict) else ():
        if isinstance(callback, dict) and callback.get("monitor") and callback.get("best_model_path"):
            best = last.parent / Path(callback["best_model_path"]).name  # the run folder may have moved
            if best.is_file():
                return best
    return None


def _counters(checkpoint: Path) -> dict[str, Any]:
    from zoo.run_checkpoints import DamagedCheckpointError, read_counters

    try:
        return read_counters(checkpoint)
    except DamagedCheckpointError as err:
        raise RunFolderError(str(err)) from None


def _read_record(run: TrainedRun) -> None:
    record_file = run.dir / RUN_RECORD
    record: dict[str, Any] = {}
    if record_file.is_file():
        try:
            record = json.loads(record_file.read_text())
        except ValueError:
            record = {}
    if not isinstance(record, dict):
        record = {}
    run.recipe = record.get("recipe") if isinstance(record.get("recipe"), str) else _recipe_from_path(run.dir)
    overrides = record.get("overrides")
    run.overrides = [o for o in overrides if isinstance(o, str)] if isinstance(overrides, list) else []
    run.options = {k: v for k, v in record.items() if k not in ("recipe", "overrides")}
    id_file = run.dir / RUN_ID_FILE
    run_id = id_file.read_text(errors="replace").strip() if id_file.is_file() else ""
    run.wandb_run_id = run_id if RUN_ID_PATTERN.match(run_id) else None


def _recipe_from_path(run_dir: Path) -> str | None:
    """``runs/gcn/cora/<hash>`` -> ``recipes/gcn/cora.yaml`` when that recipe exists (folders without a record)."""
    parts = run_dir.resolve().parts
    if "runs" not in parts:
        return None
    name = parts[parts.index("runs") + 1:-1]
    if name[:1] == ("reproduce",):
        name = name[1:]
    candidate = Path("recipes", *name).with_suffix(".yaml") if name else None
    return candidate.as_posix() if candidate is not None and candidate.is_file() else None


def _same_recipe(a: str, b: str) -> bool:
    """Whether two recipe paths name one file (a recorded absolute path and a registry's relative one)."""
    pa, pb = Path(a), Path(b)
    if pa.is_file() and pb.is_file():
        return pa.resolve() == pb.resolve()
    return pa.as_posix().endswith(pb.as_posix()) or pb.as_posix().endswith(pa.as_posix())


def protocol_id(run: TrainedRun, architecture: str, model_args: dict[str, Any]) -> str:
    """The shipped id whose protocol (evaluator, metrics, card fields) applies to ``run``; see the module."""
    from zoo.export import same_args
    from zoo.registry import load_pretrained_cfgs

    cfgs = load_pretrained_cfgs()
    same_model = [c.id for c in cfgs.values()
                  if c.architecture == architecture and same_args(c.model_args, model_args)]
    by_recipe = [c.id for c in cfgs.values() if run.recipe and _same_recipe(run.recipe, c.reproduce.recipe)]
    if len(by_recipe) == 1:
        return by_recipe[0]
    narrowed = [i for i in by_recipe if i in same_model] if by_recipe else same_model
    if len(narrowed) == 1:
        return narrowed[0]
    where = f"recipe {run.recipe}" if run.recipe else f"checkpoint {run.checkpoint}"
    if narrowed:
        raise RunFolderError(f"several shipped ids could score {where}: {', '.join(narrowed)}; choose one with "
                             "--protocol ID")
    candidates = [c.id for c in cfgs.values() if c.architecture == architecture]
    hint = f" (ids of architecture {architecture!r}: {', '.join(candidates)})" if candidates else ""
    raise RunFolderError(f"no shipped id trains {where} with this model ({architecture}); name the id whose "
                         f"evaluation protocol fits with --protocol ID{hint}")
