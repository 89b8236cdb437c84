"""Benchmark: one training step of the zoo's GCN LightningModule vs a plain PyTorch + PyG loop.

Both train the same model (``zoo.models.gcn.GCN``, Cora, the paper's optimiser) for the same number of
full-batch steps in the same process, alternating repeats so drift hits both alike. The Lightning side is a
whole ``Trainer.fit`` (its loop, hooks and ``self.log`` included; no logger, checkpointing, progress bar or
validation, which a timing of the step itself should not count). Reported: median seconds per step over the
repeats, and the ratio Lightning / plain (aim: <= 1.05).

    ZOO_DATA_ROOT=../shared/data python bench/gcn/step_time.py --steps 200 --repeats 5
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import lightning.pytorch as pl
import torch
import torch.nn.functional as F

from zoo.data.planetoid import PlanetoidDataModule
from zoo.systems.node_classification import NodeClassificationSystem

MODEL_ARGS = {"in_channels": 1433, "out_channels": 7, "hidden_channels": 16, "dropout": 0.5}


def plain_loop(data, steps: int) -> float:
    system = NodeClassificationSystem("gcn", MODEL_ARGS)  # only to build the same net and optimiser
    model, optimizer = system.net, system.configure_optimizers()
    model.train()
    start = time.perf_counter()
    for _ in range(steps):
        optimizer.zero_grad()
        out = model(data.x, data.edge_index)
        loss = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()
    return (time.perf_counter() - start) / steps


def lightning_loop(datamodule, steps: int) -> float:
    system = NodeClassificationSystem("gcn", MODEL_ARGS)
    trainer = pl.Trainer(max_steps=steps, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0,
                         num_sanity_val_steps=0)
    start = time.perf_counter()
    trainer.fit(system, datamodule=datamodule)
    return (time.perf_counter() - start) / steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    datamodule = PlanetoidDataModule("Cora")
    datamodule.setup()
    plain_loop(datamodule.data, 20), lightning_loop(datamodule, 20)  # warm-up both paths
    plain, lightning = [], []
    for _ in range(args.repeats):
        plain.append(plain_loop(datamodule.data, args.steps))
        lightning.append(lightning_loop(datamodule, args.steps))
    result = {
        "plain_ms_per_step": statistics.median(plain) * 1e3,
        "lightning_ms_per_step": statistics.median(lightning) * 1e3,
        "ratio": statistics.median(lightning) / statistics.median(plain),
        "steps": args.steps, "repeats": args.repeats, "threads": args.threads,
        "torch": torch.__version__, "lightning": pl.__version__, "cpu": platform.machine(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
