"""Ship the six MNIST loss-family GANs from their CPU ``zoo train`` runs (issue 18): one budget, one generator.

Each id was trained by ``zoo train recipes/gan/<id>.yaml --run-name shipped`` (the recipe's budget: 10 epochs,
batch 64, the generator's weights averaged by :class:`zoo.callbacks.GeneratorEMA`). For every finished run
folder ``runs/gan/<id>/shipped`` this script

1. measures the shipped generator (the EMA, ``state_dict`` of ``last.ckpt``) with the card's FID protocol
   (:func:`bench.gan.shipping.measure`, the code path of ``zoo eval``), and the raw generator of the same checkpoint
   (Lightning's ``current_model_state``) the same way, for the card's notes;
2. writes the card fields (``bench/gan/results/<id>.cpu-ema.meta.json``): the numbers, the typed ``reproduce``
   field (the ``zoo train`` command, the budget, the minutes it took), the W&B run id and project, the training
   record (epochs, generator and critic steps);
3. with ``--export``: ``zoo export`` with those fields, which ships the run's logged metrics as the card's
   curves (its CSV logs; for gan- and nsgan-mnist, whose runs predate the CSV log, its W&B offline run).

    ZOO_DATA_ROOT=../shared/data python -m bench.gan.ship_cpu_runs [--ids gan-mnist ...] [--export]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from bench.gan.shipping import build_meta, dump, measure, training_record
from bench.reproduce_field import reproduce_field
from zoo.export import load_trained_net
from zoo.run_metrics import logged_metrics_source

RESULTS = Path(__file__).resolve().parent / "results"
MNIST_IDS = ("gan-mnist", "nsgan-mnist", "lsgan-mnist", "hinge-gan-mnist", "wgan-mnist", "wgan-gp-mnist")
RUN_NAME = "shipped"
EPOCHS = 10  # the recipes' max_epochs
BUDGET = f"{EPOCHS} epochs (the recipe's max_epochs), batch 64"
HARDWARE = "CPU, 1 thread (OMP_NUM_THREADS=1) of a 2-core machine shared with another training and development work"
WEIGHTS = "exponential moving average of the generator over generator steps (GeneratorEMA, decay 0.999)"
WANDB_PROJECT = "zoo (offline; `wandb sync` of the run folder's wandb/offline-run-* uploads it)"


def run_folder(model_id: str, runs: Path) -> Path:
    return runs / "gan" / model_id / RUN_NAME


def raw_generator(ckpt: dict, ema_net: torch.nn.Module) -> torch.nn.Module:
    """The generator as training left it: the ``net.`` weights of Lightning's ``current_model_state`` (the
    checkpoint's ``state_dict`` holds the average, :class:`lightning.pytorch.callbacks.WeightAveraging`)."""
    import copy

    current = ckpt.get("current_model_state")
    if current is None:
        raise SystemExit("the checkpoint holds no current_model_state: it was not trained with GeneratorEMA")
    raw = copy.deepcopy(ema_net)
    raw.load_state_dict({k[len("net."):]: v for k, v in current.items() if k.startswith("net.")})
    return raw.eval()


def notes(model_id: str, raw: dict, ema: dict, training: dict, curves_from_wandb: bool) -> str:
    text = (f"Trained on the CPU through `zoo train` with the budget all six MNIST losses share: "
            f"{training['epochs']} epochs, {training['generator_steps']:,} generator and "
            f"{training['critic_steps']:,} discriminator steps, batch 64, {training['wall_time']} on one shared "
            "CPU thread (Lucic et al. report the best FID of a large hyper-parameter search on a GPU). Shipped: "
            "the exponential moving average of the generator's weights over generator steps (Yazici et al. 2019, "
            "decay 0.999 warmed up as TensorFlow's EMA; `zoo.callbacks.GeneratorEMA`, the same for all six); the "
            f"raw generator at the end of the same run scores FID {raw['fid']:.2f}, KID {raw['kid']:.4f} under "
            f"the quick-check protocol (EMA: FID {ema['fid']:.2f}; 500 generated vs 1,000 real images, biased upward "
            "against 10,000-sample FIDs). `bench/gan/paper_fid.py` measures the paper's 10,000-sample FID/KID, "
            "which then become the headline.")
    if curves_from_wandb:
        text += (" The run predates the run folder's CSV log: its curves are read from its W&B offline run "
                 "(`zoo.wandb_offline`), the same metrics as logged.")
    if model_id == "gan-mnist":
        text += (" The discriminator is spectrally normalised without BatchNorm (Miyato et al. 2018): with the "
                 "siblings' BatchNorm discriminator the minimax generator's gradient vanishes within a few hundred "
                 "steps and it draws grey noise (bench/gan/diagnose_minimax.py, bench/gan/results/"
                 "minimax-diagnosis.png).")
    return text


def ship_one(model_id: str, runs: Path, export: bool, root: str | None) -> dict | None:
    run = run_folder(model_id, runs)
    ckpt_path = run / "checkpoints" / "last.ckpt"
    if not ckpt_path.is_file():
        print(f"{model_id}: no {ckpt_path} yet; skipped")
        return None
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    if ckpt.get("epoch", -1) + 1 < EPOCHS:
        print(f"{model_id}: the run is at epoch {ckpt.get('epoch', -1) + 1} of {EPOCHS}; skipped")
        return None
    # wall-clock from the run's first start (its W&B id is written once; config.yaml is rewritten on each resume)
    # to its last checkpoint, pauses between resumed sessions included
    minutes = (ckpt_path.stat().st_mtime - (run / "wandb_run_id").stat().st_mtime) / 60
    ema_net = load_trained_net(ckpt_path)[0]
    start = time.time()
    ema = measure(ema_net, model_id, root)
    raw = measure(raw_generator(ckpt, ema_net), model_id, root)
    print(f"{model_id}: EMA FID {ema['fid']:.2f}, raw FID {raw['fid']:.2f} ({time.time() - start:.0f} s)")
    training = training_record(model_id, run, ckpt, HARDWARE, f"{minutes:.0f} min from first start to last "
                               "checkpoint", weights=WEIGHTS)
    training["wandb_project"] = WANDB_PROJECT
    training["raw_generator_fid"] = round(raw["fid"], 3)  # the weights before averaging, same protocol
    training["raw_generator_kid"] = round(raw["kid"], 5)
    meta = build_meta(model_id, ema, training, f"zoo train recipes/gan/{model_id}.yaml --run-name {RUN_NAME}",
                      notes(model_id, raw, ema, training,
                            curves_from_wandb=logged_metrics_source(run) == "wandb"))
    meta["reproduce"] = reproduce_field(f"zoo train recipes/gan/{model_id}.yaml", budget=BUDGET,
                                        minutes=round(minutes, 1))
    meta_path = RESULTS / f"{model_id}.cpu-ema.meta.json"
    meta_path.write_text(dump(meta) + "\n")
    if export:
        from zoo.cli import main as zoo

        # zoo export of a checkpoint in a run folder ships the run's logged metrics as the card's curves
        if zoo(["export", str(ckpt_path), "--meta", str(meta_path)]) != 0:
            sys.exit(f"{model_id}: zoo export failed")
    return {"id": model_id, "ema": ema, "raw": raw, "training": training}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ids", nargs="+", default=list(MNIST_IDS), choices=MNIST_IDS)
    parser.add_argument("--runs", type=Path, default=Path("runs"))
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--export", action="store_true", help="ship each measured run (zoo export + curves)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    skipped = []
    for model_id in args.ids:
        result = ship_one(model_id, args.runs, args.export, args.data_root)
        if result:
            (RESULTS / f"{model_id}.cpu-ema.json").write_text(json.dumps(result, indent=2) + "\n")
        else:
            skipped.append(model_id)
    if skipped:
        sys.exit(f"not shipped (no finished run): {', '.join(skipped)}")


if __name__ == "__main__":
    main()
