"""Turn the GAN GPU run's output into shipped checkpoints: FID/KID measured here on CPU, then ``zoo.export``.

    python bench/gan/import_gpu.py OUT/gan/gan.tar.gz [--ids wgan-gp-celeba nsgan-mnist] [--force]

``OUT/gan/gan.tar.gz`` is what ``bench/gpu/gan.sh`` wrote (``<id>.safetensors`` generator weights in float16,
``<id>.json`` with steps / epochs / wall time, ``<id>.log``). For each id this script rebuilds the generator
(float32), measures FID and KID with the card's protocol (:mod:`bench.gan.shipping`; the real-set features are
cached), and exports it with its card unless the shipped checkpoint of that id (e.g. a CPU fallback) already
has a lower FID (``--force`` exports anyway). A copy of the run's JSON is kept in ``bench/gan/results/``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
from pathlib import Path

import torch

from zoo.hub import sha256_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from shipping import METHODS, RECIPE_OF, build_meta, dump, epochs_seen, fp32_state, measure, ship

RESULTS = Path(__file__).resolve().parent / "results"
GPU_COMMAND = ("python bench/gan/pack_gpu_data.py && ZOO_DATA_ROOT=.gpu/data OUT=out bash bench/gpu/gan.sh && "
               "python bench/gan/import_gpu.py out/gan/gan.tar.gz --ids {id}")
GPU_DETAIL = ("The GPU script runs `python bench/gan/train_gpu.py {recipe} --id {id} --max-time {max_time} --out DIR` "
              "for the seven GAN recipes at once (the recipe's model, data and seed; no logger); the same training "
              "with W&B logging is `zoo train {recipe} --trainer.max_time={max_time}`. ")


def load_generator(folder: Path, model_id: str):
    from safetensors.torch import load_file

    from zoo.registry import create_model

    info = json.loads((folder / f"{model_id}.json").read_text())
    net = create_model(info["architecture"], **info["model_args"])
    net.load_state_dict(fp32_state(load_file(str(folder / f"{model_id}.safetensors"))))
    return net.eval(), info


def training_record(model_id: str, info: dict) -> dict:
    return {
        "hardware": f"1x {info['device']} shared by 7 concurrent GAN runs (bench/gpu/gan.sh)",
        "wall_time": f"{info['wall_time_s'] / 60:.1f} min (budget max_time {info['max_time']})",
        "epochs": epochs_seen(model_id, info["critic_steps"], info["batch_size"]), "generator_steps": info["generator_steps"], "critic_steps": info["critic_steps"],
        "global_step": info["global_step"], "batch_size": info["batch_size"],
        "software": f"torch {info['torch']}, lightning {info['lightning']}",
        "stopped": info["stopped"], "wandb_run_id": None,
        "weights": "float16 on transfer from the GPU machine, stored as float32; FID measured on these weights",
    }


def notes_for(model_id: str, info: dict) -> str:
    paper_budget = ("the WGAN-GP reference code runs 200k generator iterations" if model_id.startswith("wgan-gp")
                    else "Lucic et al. report the best FID of a large hyper-parameter search per loss")
    return GPU_DETAIL.format(recipe=RECIPE_OF[model_id], id=model_id, max_time=info["max_time"]) + (
            f"Budget: {info['max_time']} of wall-clock on one GPU shared by seven concurrent runs, "
            f"{info['generator_steps']} generator steps "
            f"({epochs_seen(model_id, info['critic_steps'], info['batch_size'])} epochs); {paper_budget}, so this is far "
            "short of the paper's schedule. Paper defaults, no tuning. FID uses 500 generated images against "
            "1,000 real ones (Inception runs on 2 CPU cores here), which biases FID upward: compare the "
            "models within this protocol (KID is unbiased), not with the papers' 10k-sample FIDs.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("archive", help="gan.tar.gz written by bench/gpu/gan.sh, or the folder it was unpacked to")
    parser.add_argument("--ids", nargs="*", default=None)
    parser.add_argument("--root", default=None, help="data root for the real FID set (default $ZOO_DATA_ROOT)")
    parser.add_argument("--force", action="store_true", help="export even if the shipped FID is lower")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dry-run", action="store_true", help="measure, but do not export")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    archive = Path(args.archive)
    if archive.is_dir():
        folder = archive
    else:
        folder = Path(tempfile.mkdtemp(prefix="gan-gpu-"))
        with tarfile.open(archive) as tar:
            tar.extractall(folder, filter="data")
    ids = args.ids or [i for i in METHODS if (folder / f"{i}.safetensors").is_file()]
    RESULTS.mkdir(exist_ok=True)
    for model_id in ids:
        net, info = load_generator(folder, model_id)
        digest = sha256_file(folder / f"{model_id}.safetensors")
        previous = RESULTS / f"{model_id}.gpu.json"
        if previous.is_file() and json.loads(previous.read_text()).get("weights_sha256") == digest:
            scores = json.loads(previous.read_text())["scores"]  # measured already on these exact weights
        else:
            scores = measure(net, model_id, args.root, log=lambda m, i=model_id: print(i, m, flush=True)
                             if m.endswith(("00/500", "000/1000")) else None)
        print(model_id, dump(scores), flush=True)
        record = {"source": "gpu", "weights_sha256": digest, "run": info, "scores": scores}
        (RESULTS / f"{model_id}.gpu.json").write_text(dump(record) + "\n")
        command = GPU_COMMAND.format(recipe=RECIPE_OF[model_id], id=model_id, max_time=info["max_time"])
        meta = build_meta(model_id, scores, training_record(model_id, info), command, notes_for(model_id, info))
        if not args.dry_run:
            ship(net, info["architecture"], info["model_args"], meta, force=args.force)


if __name__ == "__main__":
    main()
