"""The card fields of ``zoo export RUN --id NEW``, from the run and the id whose protocol scores it.

Nothing is written by hand: the checkpoint gives ``architecture`` and ``model_args`` (:mod:`zoo.export`); the
shipped id whose recipe the run trains (:func:`zoo.run_folder.protocol_id`) gives what the card says about the
method and the data (method, paper, task, dataset, split, evaluator, the metrics' names and units, the paper's
figures, licences, tags, units); the metrics' values are the run's own, measured with that id's evaluator, or
absent when not measured (``--no-eval``: the card says so); the run folder gives the ``reproduce`` field (its
recipe and options) and the W&B run (id, project, whether it was synced). A ``--meta`` JSON overrides any field.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from zoo.registry import HAND_WRITTEN_FIELDS, PretrainedCfg, Reproduce
from zoo.run_folder import TrainedRun
from zoo.training import WANDB_PROJECT
CARD_FIELDS = ("method", "paper", "task", "dataset", "split")  # what a card needs beyond the run
FROM_PROTOCOL = (*HAND_WRITTEN_FIELDS, "baselines", "extra")


def wandb_synced(run_dir: Path | None) -> bool:
    """Whether the run's W&B files reached a server: an online run folder (``wandb/run-*``), or an offline one
    that ``wandb sync`` marked (``*.wandb.synced``)."""
    wandb_dir = run_dir / "wandb" if run_dir is not None else None
    if wandb_dir is None or not wandb_dir.is_dir():
        return False
    return any(p.is_dir() for p in wandb_dir.glob("run-*")) or any(wandb_dir.glob("offline-run-*/*.wandb.synced"))


def reproduce_of(run: TrainedRun) -> dict[str, Any]:
    """The run's recipe and options as a registry ``reproduce`` field (what ``zoo reproduce NEW`` reruns)."""
    options = run.options
    fields = {"recipe": run.recipe, "overrides": list(run.overrides),
              "hardware": "gpu" if options.get("device") in ("gpu", "cuda") else "cpu"}
    for key in ("precision", "max_minutes", "cpu_minutes"):
        if options.get(key) is not None:
            fields[key] = options[key]
    Reproduce(**fields)  # a recipe that is not a YAML file fails here, before any evaluation
    return fields


def training_of(run: TrainedRun) -> dict[str, Any]:
    """The card's Training section: the run folder, where it stopped, and its W&B run."""
    training = {"run_folder": str(run.dir) if run.dir else None,
                "epochs_completed": run.counters.get("epoch", -1) + 1 if "epoch" in run.counters else None,
                "global_step": run.counters.get("global_step"),
                "wandb_project": WANDB_PROJECT, "wandb_run_id": run.wandb_run_id,
                "wandb_synced": wandb_synced(run.dir)}
    return {k: v for k, v in training.items() if v is not None}


def fields_of_run(run: TrainedRun, new_id: str, protocol: PretrainedCfg | None,
                  measured: dict[str, float] | None) -> dict[str, Any]:
    """The export metadata of ``run`` as ``new_id`` (see the module); ``measured``: the protocol's metrics of
    the run's checkpoint, None when not measured."""
    fields: dict[str, Any] = {"id": new_id, "training": training_of(run)}
    if run.recipe:
        fields["reproduce"] = reproduce_of(run)
    command = shlex.join(["zoo", "train", run.recipe, *run.overrides]) if run.recipe else f"a run ({run.checkpoint})"
    if protocol is None:
        fields["notes"] = f"Trained with `{command}`."
        return fields
    data = protocol.to_dict()
    fields.update({key: data[key] for key in FROM_PROTOCOL})
    metrics = []
    for metric in data["metrics"]:
        if measured is not None and metric["name"] in measured:
            metrics.append({**metric, "value": float(measured[metric["name"]]), "std": None,
                            "protocol": f"{protocol.id}'s evaluator ({protocol.evaluator}) on this checkpoint.",
                            "command": f"zoo eval {new_id}"})
    fields["metrics"] = metrics
    scored = (f"scored with {protocol.id}'s protocol (`zoo eval {new_id}`)" if measured is not None else
              f"not scored at export (`zoo eval {new_id}` scores it with {protocol.id}'s protocol)")
    fields["notes"] = f"Trained with `{command}`; {scored}."
    return fields


def missing_card_fields(fields: dict[str, Any]) -> list[str]:
    """The fields a card needs that neither the run, its protocol nor ``--meta`` gave."""
    return [key for key in (*CARD_FIELDS, "reproduce") if key not in fields]
