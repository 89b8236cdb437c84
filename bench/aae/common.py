"""Shared steps of the AAE reproduction scripts: train a recipe (or reuse its run), time it, describe it."""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path

import torch
import yaml

from zoo.systems.aae import AAESystem
from zoo.training import fit, last_checkpoint, run_name_of

RUNS = Path("runs")


def hardware() -> str:
    cpu = platform.processor() or platform.machine()
    return f"CPU ({cpu}, 2 cores shared with other jobs; torch threads = {torch.get_num_threads()})"


def run_dir(recipe: str) -> Path:
    return RUNS / run_name_of(Path(recipe))


def optimizer_steps_per_batch(init_args: dict) -> int:
    """Optimiser steps an :class:`AAESystem` takes per batch: reconstruction (+ regularisation when joint) and
    ``discriminator_steps`` discriminator updates (+ a separate regularisation step when not joint)."""
    d_steps = init_args.get("discriminator_steps", 1)
    return 1 + d_steps if init_args.get("joint_regularization") else 2 + d_steps


def train_or_load(recipe: str, extra_args: list[str], train_now: bool,
                  folder: Path | None = None) -> tuple[AAESystem, dict]:
    """Train ``recipe`` with ``zoo train`` (resuming its run folder) or, with ``train_now=False``, load the run's
    last checkpoint (:func:`zoo.training.last_checkpoint`). ``folder`` is the run folder (default
    ``runs/<method>/<recipe>``). Returns the system and a dict of training facts (steps, epochs, wall time, W&B id)."""
    folder = Path(folder) if folder else run_dir(recipe)
    init_args = yaml.safe_load(Path(recipe).read_text())["model"]["init_args"]
    if train_now:  # the folder is named here, so reruns of a script resume it whatever the options
        extra_args = [*extra_args, f"--trainer.default_root_dir={folder}"]
    timing = folder / "bench_timing.json"
    facts = json.loads(timing.read_text()) if timing.is_file() else {"train_seconds": 0.0}
    if train_now:
        start, cpu_start = time.perf_counter(), time.process_time()
        cli = fit(recipe, extra_args)
        facts["train_seconds"] += time.perf_counter() - start
        facts["cpu_seconds"] = facts.get("cpu_seconds", 0.0) + time.process_time() - cpu_start
        system = cli.model
        facts["optimizer_steps"] = int(cli.trainer.global_step)
        facts["epochs_completed"] = int(cli.trainer.current_epoch)
        timing.write_text(json.dumps(facts, indent=2) + "\n")
    else:
        # Rebuild the system from the recipe (the source of truth for model_args) and fill in the weights. A run
        # folder is input: its checkpoint is read as plain tensors and types, never unpickled (weights_only).
        state = torch.load(last_checkpoint(folder), map_location="cpu", weights_only=True)
        system = AAESystem(**init_args)
        system.load_state_dict(state["state_dict"])
        facts["optimizer_steps"] = int(state["global_step"])
        facts["epochs_completed"] = epochs_done(state)
        if not timing.is_file():  # a plain `zoo train` run: its clocks are in the checkpoint's callback states
            facts.update(clocks_of(state))
    facts["batches"] = facts["optimizer_steps"] // optimizer_steps_per_batch(init_args)
    id_file = folder / "wandb_run_id"
    facts["wandb_run_id"] = id_file.read_text().strip() if id_file.is_file() else ""
    return system.eval(), facts


def epochs_done(state: dict) -> int:
    """Epochs whose batches a Lightning checkpoint has seen. Not ``state["epoch"]``: an end-of-epoch checkpoint is
    written before the epoch counts as completed, so that is one short; the fit loop's ``processed`` counter is not."""
    progress = (((state.get("loops") or {}).get("fit_loop") or {}).get("epoch_progress") or {}).get("total") or {}
    return int(progress.get("processed", state["epoch"]))


def clocks_of(state: dict) -> dict:
    """Wall seconds of training (Lightning's ``Timer``, present when the recipe sets ``max_time``) and CPU seconds
    (:class:`zoo.callbacks.CPUTimeLimit`, under its state key) kept in a checkpoint, as far as it has them."""
    callbacks = state.get("callbacks") or {}
    out = {}
    if "Timer" in callbacks:
        out["train_seconds"] = float(callbacks["Timer"]["time_elapsed"]["train"])
    if "CPUTimeBudget" in callbacks:
        out["cpu_seconds"] = float(callbacks["CPUTimeBudget"]["used_seconds"])
    return out


def budget_of(recipe: str) -> str:
    """The recipe's training budget in words: its CPU-time budget, else its wall-clock ``max_time``."""
    config = yaml.safe_load(Path(recipe).read_text())
    trainer = config.get("trainer") or {}
    for callback in trainer.get("callbacks") or []:
        if callback.get("class_path", "") == "zoo.callbacks.CPUTimeLimit":
            return f"{callback['init_args']['minutes']:g} CPU-minute budget"
    clock = None
    if trainer.get("max_time"):
        days, hours, minutes, seconds = ([0, 0, 0] + [int(x) for x in str(trainer["max_time"]).split(":")])[-4:]
        clock = f"{(days * 24 + hours) * 60 + minutes + seconds / 60:g}-minute wall-clock"
    if trainer.get("max_epochs"):  # an epoch count bounds the run; a max_time beside it is only a safety cap
        batches = trainer.get("limit_train_batches")
        epochs = f"{trainer['max_epochs']} epochs" + (f" of {batches} batches" if isinstance(batches, int) else "")
        return epochs + (f" ({clock} cap)" if clock else "")
    return f"{clock} budget" if clock else "no time budget"


def training_meta(facts: dict, recipe: str, budget: str) -> dict:
    minutes = facts["train_seconds"] / 60
    cpu = (f"{facts['cpu_seconds'] / 60:.1f} min of one core (the machine was shared, so wall time >> CPU time)"
           if "cpu_seconds" in facts else facts.get("cpu_note", "not recorded"))
    return {"hardware": hardware(), "wall_time": f"{minutes:.1f} min ({budget})", "cpu_time": cpu,
            "batches": facts["batches"], "optimizer_steps": facts["optimizer_steps"],
            "epochs_completed": facts["epochs_completed"], "wandb_run_id": facts["wandb_run_id"],
            "recipe_file": recipe, "threads": os.environ.get("OMP_NUM_THREADS", "")}


def save_json(path: str | Path, data: dict) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2) + "\n")
