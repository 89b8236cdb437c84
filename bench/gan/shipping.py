"""The GAN cards: the FID protocol, the measured fields of each id's card, and the export step.

Used by ``python -m bench.device.import_results`` (runs of ``zoo train`` on a GPU) and
``python -m bench.gan.cache_real_features``. Every number written here is measured by :func:`measure` on the
weights being shipped.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from torch import nn

from bench.registry_fields import fixed_fields
from bench.reproduce_field import reproduce_field
from zoo.evaluation.gan import datamodule_for
from zoo.metrics.fid import evaluate_generator, protocol

SEED = 0
N_FAKE = 500  # generated images per model (CPU Inception runs at ~1-4 images/s here; see the cards' notes)
N_REAL = 1000  # real images: MNIST test[:1000], CelebA (6,000-face subset, sorted by file name)[:1000]
KID_SUBSET = 500

FID_PROTOCOLS = {
    "mnist": {"dataset": "MNIST", "split": "test", "n_real": N_REAL, "n_fake": N_FAKE, "seed": SEED},
    "celeba": {"folder": "celeba/img_align_celeba", "image_size": 64, "crop_size": 108, "split": "train",
               "n_real": N_REAL, "n_fake": N_FAKE, "seed": SEED},
}
# The GAN ids; their fixed card fields (method, paper, Lucic et al.'s FIDs, dataset text ...) are those of their
# registry entries. The FID protocol is chosen by the id's dataset suffix (-mnist, -celeba).
GAN_IDS = ("gan-mnist", "nsgan-mnist", "lsgan-mnist", "hinge-gan-mnist", "wgan-mnist", "wgan-gp-mnist",
           "wgan-gp-celeba")


def kind_of(model_id: str) -> str:
    """``"mnist"`` or ``"celeba"``: the key of the id's FID protocol."""
    return model_id.rsplit("-", 1)[1]


def real_set_text(kind: str, n_real: int) -> str:
    """Which ``n_real`` real images the FID of protocol ``kind`` compares with."""
    if kind == "mnist":
        return f"the first {n_real:,} images of the MNIST test split"
    return (f"the first {n_real:,} faces (sorted by file name) of the 6,000-image CelebA subset, center crop 108 px, "
            "bicubic resize to 64x64; these faces are also in the training set (the subset has no held-out split)")


def floor_text(kind: str, n_real: int, n_fake: int) -> str:
    """What :func:`real_floor` of protocol ``kind`` scores: real images in place of the ``n_fake`` generated ones."""
    if kind == "mnist":
        stand_in, reference = f"MNIST train[:{n_fake}]", f"test[:{n_real}]"
    else:
        stand_in, reference = f"CelebA faces [{n_real}:{n_real + n_fake}]", f"[:{n_real}]"
    return (f"real images in place of generated ones: {stand_in} vs the same {reference} (the floor of this "
            "protocol; bench/gan/shipping.py real_floor)")


RECIPE_OF = {i: f"recipes/gan/{i}.yaml" for i in GAN_IDS if i.endswith("-mnist")}
RECIPE_OF["wgan-gp-celeba"] = "recipes/wgan-gp/celeba.yaml"


def measure(net: nn.Module, model_id: str, root: str | None = None) -> dict[str, float]:
    """FID/KID of ``net`` with the card's protocol (the same code path as ``zoo eval``)."""
    p = FID_PROTOCOLS[kind_of(model_id)]
    start = time.time()
    scores = evaluate_generator(net, datamodule_for(p, root), n_fake=p["n_fake"], n_real=p["n_real"],
                                seed=p["seed"], split=p["split"])
    scores["seconds"] = time.time() - start
    return scores


def real_floor(kind: str, root: str | None = None) -> dict[str, float]:
    """FID/KID of N_FAKE *real* images against the real set: what a perfect generator would score here.

    Cached in ``bench/gan/results/floor-<kind>.json``.
    """
    from zoo.metrics.fid import InceptionFeatures, extract_features, fid_kid, real_features

    path = Path(__file__).resolve().parent / "results" / f"floor-{kind}.json"
    if path.is_file():
        return json.loads(path.read_text())
    p = FID_PROTOCOLS[kind]
    dm = datamodule_for(p, root)
    extractor = InceptionFeatures()
    real = real_features(dm, p["split"], p["n_real"], extractor)
    if kind == "mnist":
        from zoo.data.images import load_mnist_images

        stand_in = load_mnist_images(root, "train")[: p["n_fake"]]
    else:
        stand_in = dm.real_images(p["n_real"] + p["n_fake"])[p["n_real"]:]
    scores = fid_kid(real, extract_features(stand_in, extractor), seed=p["seed"])
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(scores, indent=2) + "\n")
    return scores


def cached_floor(model_id: str) -> dict[str, float] | None:
    """The floor of ``model_id``'s protocol if ``real_floor`` has been computed, else None."""
    path = Path(__file__).resolve().parent / "results" / f"floor-{kind_of(model_id)}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def build_meta(model_id: str, scores: dict[str, float], training: dict[str, Any], recipe_command: str,
               notes: str) -> dict[str, Any]:
    """The new registry entry of GAN ``model_id`` (all but the weights' fields): the current entry's fixed fields
    with the measured FID/KID ``scores``, the protocol's floor (if cached), the ``training`` record and ``notes``."""
    floor = cached_floor(model_id)
    kind = kind_of(model_id)
    p = FID_PROTOCOLS[kind]
    text = protocol(p["n_real"], p["n_fake"], real_set_text(kind, p["n_real"]), p["seed"], KID_SUBSET)
    eval_cmd = f"zoo eval {model_id}"
    metrics = [
        {"name": "fid", "value": round(scores["fid"], 3), "unit": "", "split": p["split"], "protocol": text,
         "command": eval_cmd, "higher_is_better": False},
        {"name": "kid", "value": round(scores["kid"], 5), "unit": "", "split": p["split"],
         "std": round(scores["kid_std"], 5), "protocol": text + " KID std is over the subsets.",
         "command": eval_cmd, "higher_is_better": False},
    ]
    baselines = []
    if floor:
        note = floor_text(kind, p["n_real"], p["n_fake"])
        baselines.append({"name": "fid", "value": round(floor["fid"], 3), "citation": "ours, real data",
                          "note": note})
        baselines.append({"name": "kid", "value": round(floor["kid"], 5), "citation": "ours, real data",
                          "note": note})
    return {
        **fixed_fields(model_id),
        "id": model_id,
        "reproduce": reproduce_field(recipe_command),
        "metrics": metrics,
        "baselines": baselines,
        "training": training,
        "notes": notes,
        "extra": {"fid": p, "image_shape": [1, 28, 28] if kind == "mnist" else [3, 64, 64],
                  "sample_command": f"zoo sample {model_id} --n 64 --seed 0 --out {model_id}.png",
                  "interpolate": "zoo.load(id).interpolate(seed_a, seed_b, steps=8)"},
    }


def current_fid(model_id: str) -> float | None:
    """The FID of the shipped checkpoint ``model_id``, or None when none is shipped."""
    from zoo.registry import load_pretrained_cfgs

    cfg = load_pretrained_cfgs().get(model_id)
    if cfg is None:
        return None
    try:
        return cfg.metric("fid").value
    except KeyError:
        return None


def ship(checkpoint: Path, meta: dict, force: bool = False) -> bool:
    """``zoo export checkpoint`` with ``meta`` unless a shipped checkpoint of the same id already has a lower FID
    (``force`` overrides)."""
    from zoo.export import export_checkpoint

    old = current_fid(meta["id"])
    new = meta["metrics"][0]["value"]
    if old is not None and old <= new and not force:
        print(f"{meta['id']}: keeping the shipped checkpoint (FID {old} <= {new})")
        return False
    export_checkpoint(checkpoint, meta)
    print(f"{meta['id']}: exported, FID {new} (was {old})")
    return True


TRAIN_SIZE = {"mnist": 60000, "celeba": 6000}


def epochs_seen(model_id: str, critic_steps: int, batch_size: int) -> float:
    """Passes over the training set: each critic step reads one fresh real batch (generator steps read none)."""
    return round(critic_steps * batch_size / TRAIN_SIZE[kind_of(model_id)], 2)


def recipe_batch_size(model_id: str) -> int:
    import yaml

    with open(RECIPE_OF[model_id]) as f:
        recipe = yaml.safe_load(f)
    return int(recipe["data"]["init_args"]["batch_size"])


def training_record(model_id: str, run: Path, ckpt: dict, hardware: str, wall_time: str,
                    weights: str | None = None) -> dict[str, Any]:
    """The card's training record of a GAN run folder ``run`` and its checkpoint ``ckpt``: the step counters,
    the passes over the data, the software and the W&B run id; ``weights`` says which weights ship, if not the
    plain generator."""
    import lightning
    import torch

    steps = ckpt.get("gan_steps", {})
    batch_size = recipe_batch_size(model_id)
    record = {
        "hardware": hardware,
        "wall_time": wall_time,
        "epochs": epochs_seen(model_id, steps.get("critic", 0), batch_size),
        "generator_steps": steps.get("generator"), "critic_steps": steps.get("critic"),
        "global_step": ckpt.get("global_step"), "batch_size": batch_size,
    }
    if weights is not None:
        record["weights"] = weights
    record["software"] = f"torch {torch.__version__}, lightning {lightning.__version__}"
    record["wandb_run_id"] = (run / "wandb_run_id").read_text().strip() if (run / "wandb_run_id").is_file() else None
    return record


def dump(obj: Any) -> str:
    return json.dumps(obj, indent=2, default=str)
