"""Helpers shared by the molecule bench scripts: run a recipe in a subprocess, find its checkpoints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # run as `python bench/molecules/<script>.py` from anywhere
    sys.path.insert(0, str(REPO))
RESULTS = REPO / "bench" / "molecules" / "results"


def train(recipe: str, run_dir: Path, overrides: list[str], log: Path | None = None) -> float:
    """``python -m zoo.training recipe --trainer.default_root_dir=run_dir ...``; returns the wall time (s).

    A run that finished before (``run_dir/DONE`` exists) is not touched again: resuming a run that early
    stopping ended would train one more epoch. Its recorded wall time is returned instead.
    """
    done = Path(run_dir) / "DONE"
    if done.is_file():
        print(f"{run_dir} finished before; reusing it", flush=True)
        return float(done.read_text() or "nan")
    cmd = [sys.executable, "-m", "zoo.training", recipe, f"--trainer.default_root_dir={run_dir}", *overrides]
    print("$", " ".join(cmd), flush=True)
    start = time.time()
    with open(log or os.devnull, "w") as out:
        subprocess.run(cmd, cwd=REPO, check=True, stdout=out, stderr=subprocess.STDOUT,
                       env={**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")})
    wall = time.time() - start
    done.write_text(f"{wall:.1f}\n")
    return wall


def find_checkpoint(run_dir: Path, name: str) -> Path:
    found = sorted(Path(run_dir).rglob(f"checkpoints/{name}"), key=lambda p: p.stat().st_mtime)
    if not found:
        raise FileNotFoundError(f"no checkpoints/{name} under {run_dir}")
    return found[-1]


def checkpoint_epoch(path: Path) -> int:
    return int(torch.load(path, map_location="cpu", weights_only=True)["epoch"]) + 1


def load_net(path: Path) -> torch.nn.Module:
    from zoo.export import read_lightning_checkpoint
    from zoo.registry import create_model

    architecture, model_args, state = read_lightning_checkpoint(path)
    net = create_model(architecture, **model_args)
    net.load_state_dict(state)
    return net.eval()


def save_results(name: str, results) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
