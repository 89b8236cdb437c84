"""The card metadata of the fixed minimax GAN (issue 9), measured on the run's last checkpoint, for `zoo export`.

    python -m bench.gan.ship_minimax                       # FID/KID on the card's protocol -> the meta JSON
    zoo export runs/gan-mnist-v2/checkpoints/last.ckpt --meta bench/gan/results/gan-mnist-v2.meta.json

Reads the ``zoo train`` run folder (``runs/gan-mnist-v2``: its last checkpoint, W&B run id and timer), measures
FID/KID with the card's protocol (:func:`shipping.measure`, the code path of ``zoo eval``), writes
``bench/gan/results/gan-mnist-v2.json`` (scores and training record) and the meta JSON whose ``notes`` state
what was needed to make the minimax loss train, with the numbers of ``bench/gan/diagnose_minimax.py``.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import torch

from bench.gan.shipping import build_meta, dump, measure, training_record
from zoo.export import load_trained_net
from zoo.io import sha256_file

RESULTS = Path(__file__).resolve().parent / "results"
MODEL_ID = "gan-mnist"
DIAGNOSIS = RESULTS / "minimax-diagnosis.csv"


def last_steps_mean(variant: str, key: str, last: int = 20) -> float:
    """Mean of ``key`` over the last ``last`` steps of one variant of the diagnosis CSV."""
    with open(DIAGNOSIS) as f:
        rows = [r for r in csv.DictReader(f) if r["variant"] == variant]
    if not rows:
        sys.exit(f"{DIAGNOSIS} has no rows of {variant!r}: run python -m bench.gan.diagnose_minimax first")
    return sum(float(r[key]) for r in rows[-last:]) / len(rows[-last:])


# the diagnosis variants (bench/gan/diagnose_minimax.py) by their keys in :func:`diagnosis_text`
VARIANTS = {"minimax": "minimax", "non_saturating": "non_saturating", "noise_0_1": "minimax+noise0.1",
            "noise_0_5": "minimax+noise0.5", "noise_1_0": "minimax+noise1.0", "lr_d_quarter": "minimax+lr_d/4",
            "sn_bn": "minimax+sn+bn", "sn": "minimax+sn"}


def diagnosis_text() -> str:
    """The card's diagnosis, with each variant's end-of-run numbers from the diagnosis CSV."""
    def at_end(variant: str) -> str:
        return (f"sigma(D(G(z))) {last_steps_mean(variant, 'd_fake'):.2g}, generator gradient norm "
                f"{last_steps_mean(variant, 'g_grad_norm'):.2g}")

    end = {name: at_end(variant) for name, variant in VARIANTS.items()}
    return ("Why the first minimax run drew grey noise (`python -m bench.gan.diagnose_minimax --steps 300`, one "
            "thread, seed 0; bench/gan/results/minimax-diagnosis.csv and .png): with the siblings' BatchNorm "
            "discriminator the discriminator wins within ~50 steps; after 300 steps (mean of the last 20) the "
            f"minimax run has {end['minimax']}, against {end['non_saturating']} for the non-saturating loss on the "
            "same seed. The minimax generator's gradient is sigma(D(G(z))) times dD/dG, so it vanishes with "
            "D(G(z)), and Adam's second moment (beta2 0.999) still remembers the early large gradients, so the "
            "steps shrink too. Fixes tried on the discriminator side, keeping log(1 - D(G(z))): instance noise "
            f"sigma 0.1 ({end['noise_0_1']}), 0.5 ({end['noise_0_5']}), 1.0 ({end['noise_1_0']}); a 4x lower D "
            f"learning rate ({end['lr_d_quarter']}); spectral normalisation on top of BatchNorm ({end['sn_bn']}); "
            f"spectral normalisation without BatchNorm ({end['sn']}). After 300 steps the minimax, noise-0.1 and "
            "SN+BatchNorm generators still draw grey noise, noise 1.0 and SN without BatchNorm draw digit-like "
            "strokes (bench/gan/results/minimax-diagnosis-grid.png). Shipped: the last one (Miyato et al. 2018, "
            "critic_args {norm: none, spectral_norm: true}), with the same generator, loss, optimiser (Adam 2e-4, "
            "(0.5, 0.999)), k = 1 and batch 64 as the siblings.")


def notes(diagnosis: str, training: dict) -> str:
    """The card's notes: the ``diagnosis`` and the run's budget (its ``training`` record)."""
    return (f"{diagnosis} Budget: {training['wall_time']} on one shared CPU thread, {training['epochs']} epochs, "
            f"{training['generator_steps']} generator steps (Lucic et al. report the best FID of a large "
            "hyper-parameter search). FID uses 500 generated vs 1,000 real images, biased upward: compare within "
            "this protocol (KID is unbiased). The first minimax checkpoint (FID 316.7, BatchNorm discriminator, "
            "GPU, 18,568 generator steps) is replaced by this one.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", default="runs/gan-mnist-v2")
    parser.add_argument("--meta", default="bench/gan/results/gan-mnist-v2.meta.json")
    parser.add_argument("--reuse-scores", action="store_true",
                        help="take FID/KID from bench/gan/results/gan-mnist-v2.json if measured on this checkpoint")
    args = parser.parse_args()
    torch.set_num_threads(1)
    run = Path(args.run)
    ckpt_path = run / "checkpoints" / "last.ckpt"
    if not ckpt_path.is_file():
        sys.exit(f"no {ckpt_path}: train first (zoo train recipes/gan/gan-mnist.yaml "
                 f"--trainer.default_root_dir={run})")
    net = load_trained_net(ckpt_path)[0]
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True, mmap=True)  # counters only; plain types
    digest = sha256_file(ckpt_path)
    record_path = RESULTS / "gan-mnist-v2.json"
    record = json.loads(record_path.read_text()) if record_path.is_file() else {}
    if args.reuse_scores and record.get("ckpt_sha256") == digest:
        scores = record["scores"]
    else:
        scores = measure(net, MODEL_ID)
    seconds = ckpt.get("callbacks", {}).get("Timer", {}).get("time_elapsed", {}).get("train")
    training = training_record(MODEL_ID, run, ckpt, "CPU, 1 thread (OMP_NUM_THREADS=1) of a 2-core machine shared "
                               "with other jobs",
                               f"{seconds / 60:.0f} min (trainer.max_time budget)" if seconds else "not recorded")
    command = (f"WANDB_MODE=offline OMP_NUM_THREADS=1 zoo train recipes/gan/gan-mnist.yaml "
               f"--trainer.default_root_dir={run} --trainer.max_time=00:01:35:00 && "
               f"python -m bench.gan.ship_minimax --run {run} && "
               f"zoo export {ckpt_path} --meta {args.meta}")
    record_path.write_text(dump({"source": "cpu", "ckpt_sha256": digest, "training": training,
                                 "scores": scores}) + "\n")
    meta = build_meta(MODEL_ID, scores, training, command, notes(diagnosis_text(), training))
    Path(args.meta).write_text(dump(meta) + "\n")
    print(f"{MODEL_ID}: FID {scores['fid']:.2f}, KID {scores['kid']:.4f}; wrote {record_path} and {args.meta}")


if __name__ == "__main__":
    main()
