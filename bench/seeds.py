"""Seed sweeps over the one training path: one :func:`zoo.training.fit` per seed, one run folder per seed.

A seed's run folder is ``runs/bench/<recipe>/seed<S>`` (``runs/bench/gcn/cora/seed3``); options beyond the
recipe and the seed (a smoke test's ``--trainer.max_epochs=3``) add a short hash of those options to the name
(``seed3-1a2b3c4d``), so a smoke run never resumes into, or is mistaken for, the real one. A run that finished
is marked ``DONE`` (its wall time) and is not trained again when the sweep is rerun: resuming a run that early
stopping ended would train one more epoch and change its numbers.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RUNS_DIR = Path("runs") / "bench"
QUIET = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false"]


@dataclass
class SeedRun:
    """Where a seed's run lives and what it cost."""

    seed: int
    dir: Path
    wall_s: float
    wandb_run_id: str | None

    def checkpoint(self, name: str = "last.ckpt") -> Path:
        """``checkpoints/<name>`` of the run (``best.ckpt`` for recipes that keep the best validation epoch).
        A recipe's own ModelCheckpoint without a ``dirpath`` writes under the logger's folder: the newest such
        file anywhere in the run folder counts."""
        path = self.dir / "checkpoints" / name
        found = [path] if path.is_file() else sorted(self.dir.rglob(f"checkpoints/{name}"),
                                                      key=lambda p: p.stat().st_mtime)
        if not found:
            raise FileNotFoundError(f"{self.dir} holds no checkpoints/{name}; did the run finish an epoch?")
        return found[-1]


def run_name(seed: int, extra: Sequence[str] = ()) -> str:
    """``seed3``, or ``seed3-<8 hex>`` when ``extra`` options change the recipe."""
    if not extra:
        return f"seed{seed}"
    return f"seed{seed}-" + hashlib.sha256(json.dumps(list(extra)).encode()).hexdigest()[:8]


def fit_seed(recipe: str | Path, seed: int, per_seed: Sequence[str] = (), extra: Sequence[str] = (),
             runs_dir: str | Path = RUNS_DIR) -> SeedRun:
    """Train ``recipe`` with ``--seed_everything=seed`` (plus the seed's own ``per_seed`` options, e.g. the split
    seed, and the user's ``extra`` options) through :func:`zoo.training.fit`; reuse the run if it finished."""
    from zoo.training import fit, resolve_run_dir

    name = run_name(seed, extra)
    run_dir = resolve_run_dir(Path(recipe), [], name, {}, runs_dir)
    done = run_dir / "DONE"
    if done.is_file():
        print(f"{run_dir}: finished before; reused (delete it to train again)", flush=True)
        return SeedRun(seed, run_dir, float(done.read_text() or "nan"), _wandb_id(run_dir))
    start = time.perf_counter()
    run = fit(recipe, [f"--seed_everything={seed}", *per_seed, *QUIET, *extra], run_name=name, runs_dir=runs_dir)
    wall = time.perf_counter() - start
    done.write_text(f"{wall:.1f}\n")
    return SeedRun(seed, run.dir, wall, run.wandb_run_id)


def _wandb_id(run_dir: Path) -> str | None:
    from zoo.training import RUN_ID_FILE

    path = run_dir / RUN_ID_FILE
    return path.read_text().strip() or None if path.is_file() else None


def load_net(checkpoint: Path):
    """The trained ``nn.Module`` (``net``) of a zoo recipe's Lightning checkpoint, in eval mode."""
    from zoo.export import load_trained_net

    return load_trained_net(checkpoint)[0]


def checkpoint_epoch(path: Path) -> int:
    """Epochs completed when ``path`` was written (Lightning stores the 0-based epoch)."""
    import torch

    return int(torch.load(path, map_location="cpu", weights_only=True)["epoch"]) + 1


def print_outputs(runs: Sequence[SeedRun], results: Path | None, exported: str | None) -> None:
    """Say where the output went: run folders, the results file, and whether the repository changed."""
    parents: dict[Path, list[str]] = {}
    for run in runs:
        parents.setdefault(run.dir.parent, []).append(run.dir.name)
    for parent, names in parents.items():
        print(f"run folders: {parent}/{{{','.join(names)}}}")
    if results is not None:
        print(f"results: {results}")
    print(f"exported {exported} (checkpoints/, zoo/pretrained/, MODEL_CARDS.md)" if exported
          else "the repository was not changed (pass --export to ship)")


def save_json(path: Path, obj) -> Path:
    """Write ``obj`` as indented JSON through a temporary file, so a crash never leaves half a file."""
    from zoo.io import write_text_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(obj, indent=2, default=str) + "\n")
    return path
