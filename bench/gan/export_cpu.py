"""Ship the CPU fallback runs of ``bench/gan/cpu_fallback.sh``: FID/KID measured here, then ``zoo.export``.

    python bench/gan/export_cpu.py [--ids nsgan-mnist ...] [--minutes 18]

Reads ``runs/cpu/<id>/checkpoints/last.ckpt`` (the generator weights only are shipped) and exports each id
unless a shipped checkpoint with a lower FID exists (the GPU run's results replace these when better).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shipping import METHODS, RECIPE_OF, build_meta, dump, epochs_seen, measure, recipe_batch_size, ship

from zoo.export import read_lightning_checkpoint
from zoo.hub import sha256_file
from zoo.registry import create_model

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ids", nargs="*", default=[i for i in METHODS if i.endswith("-mnist")])
    parser.add_argument("--runs", default="runs/cpu")
    parser.add_argument("--minutes", type=int, default=18, help="the max_time the fallback runs had")
    parser.add_argument("--root", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--reuse-scores", action="store_true",
                        help="take FID/KID from bench/gan/results/<id>.cpu.json when it was measured on this checkpoint")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    RESULTS.mkdir(exist_ok=True)
    for model_id in args.ids:
        ckpt_path = Path(args.runs) / model_id / "checkpoints" / "last.ckpt"
        if not ckpt_path.is_file():
            print(f"{model_id}: no {ckpt_path}, skipped")
            continue
        architecture, model_args, state = read_lightning_checkpoint(ckpt_path)
        net = create_model(architecture, **model_args)
        net.load_state_dict(state)
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        steps = ckpt.get("gan_steps", {})
        digest = sha256_file(ckpt_path)
        previous = RESULTS / f"{model_id}.cpu.json"
        record = json.loads(previous.read_text()) if previous.is_file() else {}
        if args.reuse_scores and record.get("ckpt_sha256") in (digest, None) and "scores" in record:
            scores = record["scores"]  # records written before ckpt_sha256 existed come from this same run
        else:
            scores = measure(net.eval(), model_id, args.root)
        print(model_id, dump(scores), flush=True)
        training = {
            "hardware": "CPU, 1 thread (niced) of a 2-core machine shared with other training jobs",
            "wall_time": f"{args.minutes} min budget (max_time)",
            "epochs": epochs_seen(model_id, steps.get("critic", 0), recipe_batch_size(model_id)),
            "generator_steps": steps.get("generator"), "critic_steps": steps.get("critic"),
            "global_step": ckpt.get("global_step"), "wandb_run_id": _wandb_id(Path(args.runs) / model_id),
        }
        command = (f"python -m zoo.training {RECIPE_OF[model_id]} --trainer.max_time=00:00:{args.minutes}:00 "
                   f"--trainer.default_root_dir=runs/cpu/{model_id} --model.init_args.fid_every_n_epochs=0 && "
                   f"python bench/gan/export_cpu.py --ids {model_id} --minutes {args.minutes}")
        notes = (f"CPU fallback: {args.minutes} minutes on one shared CPU thread, {training['epochs']} epochs, "
                 f"{steps.get('generator')} generator steps; far short of any paper's schedule (Lucic et al. "
                 "report the best FID of a large hyper-parameter search per loss). Paper defaults, no tuning. FID "
                 "uses 500 generated vs 1,000 real images (Inception runs on 2 CPU cores here), biased upward: "
                 "compare within this protocol (KID is unbiased).")
        (RESULTS / f"{model_id}.cpu.json").write_text(dump({"source": "cpu", "ckpt_sha256": digest, "training": training,
                                                            "scores": scores}) + "\n")
        meta = build_meta(model_id, scores, training, command, notes)
        if not args.dry_run:
            ship(net, architecture, model_args, meta, force=args.force)


def _wandb_id(run_dir: Path) -> str | None:
    path = run_dir / "wandb_run_id"
    return path.read_text().strip() if path.is_file() else None


if __name__ == "__main__":
    main()
