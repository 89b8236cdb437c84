"""``zoo reproduce ID``: rerun a card's recipe through ``zoo train`` and score it with the card's protocol.

The user story "reproduce reported results" in one command. The entry's typed ``reproduce`` field
(:class:`zoo.registry.Reproduce`: recipe, options, hardware class, budget) is the ``zoo train`` run that made the
weights; :func:`reproduce` runs exactly that through
:func:`zoo.training.fit` into ``runs/reproduce/...`` (so rerunning resumes, and the ``--max-minutes`` /
``--cpu-minutes`` limits cut it short on purpose), rebuilds the trained ``nn.Module`` from the run's weights (the
recipe's best monitored checkpoint, else ``last.ckpt``: :attr:`zoo.training.Run.weights_checkpoint`), and calls
the card's evaluator on it. The repository is never touched unless ``export=True``, which replaces the shipped
checkpoint and card with the reproduced ones (metric values updated, everything else from the card).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from zoo.training import TrainingError, fit

REPRODUCE_RUNS = Path("runs") / "reproduce"


@dataclass
class Reproduction:
    model_id: str
    run_dir: Path
    recipe: str
    overrides: list[str]
    now: dict[str, float]
    card: dict[str, float] = field(default_factory=dict)
    paper: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    exported: bool = False


def needs_gpu_message(model_id: str, run) -> str | None:
    """Why ``model_id``'s run should not start here, or None: a GPU run on a machine without one."""
    import torch

    if run.hardware != "gpu" or torch.cuda.is_available():
        return None
    took = f"{run.minutes:g} minutes" if run.minutes is not None else (
        f"about {run.max_minutes:g} minutes of training" if run.max_minutes is not None else "its budget")
    return (f"{model_id}'s run needs a GPU ({run.budget or 'see its card'}; {took} there) and this machine has "
            "none: on a CPU the same schedule takes many hours. Run `zoo reproduce` on a GPU machine, or pass "
            "--device cpu to run it here anyway")


def reproduce(model_id: str, extra: Sequence[str] = (), *, data_root: str | None = None,
              device: str | None = None, precision: str | None = None, max_minutes: float | None = None,
              cpu_minutes: float | None = None, fresh: bool = False, export: bool = False) -> Reproduction:
    """Train ``model_id``'s card recipe (plus ``extra`` LightningCLI options) and evaluate it; see the module."""
    from zoo.evaluation import get_evaluator
    from zoo.export import export_checkpoint, load_trained_net
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg(model_id)
    run_cfg = cfg.reproduce
    recipe, overrides = run_cfg.recipe, list(run_cfg.overrides)
    if device is None:
        refusal = needs_gpu_message(model_id, run_cfg)
        if refusal:
            raise TrainingError(refusal)
        device = "gpu" if run_cfg.hardware == "gpu" else None
    precision = precision or run_cfg.precision
    max_minutes = max_minutes if max_minutes is not None else run_cfg.max_minutes
    cpu_minutes = cpu_minutes if cpu_minutes is not None else run_cfg.cpu_minutes
    if not Path(recipe).is_file():
        raise TrainingError(f"the card's recipe {recipe} is not here; run `zoo reproduce` from the repository root")
    if not cfg.evaluator:
        raise TrainingError(f"{model_id} names no evaluator, so its numbers cannot be recomputed")
    overrides = [*overrides, *extra]
    if data_root:
        overrides.append(f"--data.init_args.root={data_root}")
    run = fit(recipe, overrides, fresh=fresh, device=device, precision=precision, max_minutes=max_minutes,
              cpu_minutes=cpu_minutes, runs_dir=REPRODUCE_RUNS)
    net, _, _ = load_trained_net(run.weights_checkpoint)
    now = get_evaluator(cfg.evaluator)(net, cfg, root=data_root)
    result = Reproduction(
        model_id=model_id, run_dir=run.dir, recipe=recipe, overrides=overrides, now=dict(now),
        card={m.name: m.value for m in cfg.metrics}, paper={p.name: p.value for p in cfg.paper_results},
        units={m.name: m.unit for m in cfg.metrics})
    if export:
        meta = cfg.to_dict()
        for metric in meta.get("metrics", []):
            if metric["name"] in now:
                metric["value"] = float(now[metric["name"]])
        meta["training"] = {**(meta.get("training") or {}), "wandb_run_id": run.wandb_run_id}
        meta["reproduce"] = {**meta["reproduce"], "made_by": ""}  # these weights are the command's own
        for key in ("sha256", "revision", "architecture", "model_args"):
            meta.pop(key, None)
        export_checkpoint(run.weights_checkpoint, meta)
        result.exported = True
    return result


def print_comparison(result: Reproduction) -> None:
    """The new figures beside the card's and the paper's, and where the output went."""
    print(f"{result.model_id}: reproduced with `zoo train {result.recipe} {' '.join(result.overrides)}`".rstrip())
    print(f"{'metric':28s} {'now':>12s} {'card':>12s} {'paper':>12s}")

    def shown(value: Any) -> str:
        return "–" if value is None else f"{value:.4f}"

    for name in list(result.card) + [n for n in result.now if n not in result.card]:
        unit = result.units.get(name)
        label = f"{name} ({unit})" if unit else name
        print(f"{label:28s} {shown(result.now.get(name)):>12s} {shown(result.card.get(name)):>12s} "
              f"{shown(result.paper.get(name)):>12s}")
    print(f"run folder: {result.run_dir} (checkpoints, config.yaml, W&B files)")
    print("exported over the shipped checkpoint and card" if result.exported
          else "the repository was not changed (pass --export to ship the reproduced weights)")
