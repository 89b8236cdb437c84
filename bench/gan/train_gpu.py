"""Train one GAN recipe under a wall-clock budget and write its generator weights compactly (the GPU run).

    python bench/gan/train_gpu.py recipes/gan/nsgan-mnist.yaml --id nsgan-mnist --max-time 00:00:07:00 --out DIR

It runs the recipe's model and data exactly as ``zoo train`` would (same YAML, same classes and arguments, same
seed), but builds the Trainer directly so it needs neither jsonargparse nor wandb (the GPU machine has
neither): no logger, no periodic FID (the Inception network does not travel), one ``last.ckpt`` per epoch
in ``DIR/<id>/``. At the end it writes

- ``DIR/<id>.safetensors``: the generator's state_dict in float16 (halves the transfer; the import step
  converts back to float32 and measures FID on exactly these rounded weights);
- ``DIR/<id>.json``: steps, epochs, wall time, device, the recipe's model init_args and how it stopped.

On a non-finite loss it ships the weights of the last good checkpoint and says so in the JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import time
from pathlib import Path

import torch
import yaml


def instantiate(spec: dict, **overrides):
    module, _, name = spec["class_path"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    return cls(**{**(spec.get("init_args") or {}), **overrides})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("recipe")
    parser.add_argument("--id", required=True)
    parser.add_argument("--max-time", default="00:00:07:00", help="DD:HH:MM:SS, passed to Trainer(max_time=)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    import lightning.pytorch as pl
    from lightning.pytorch.callbacks import ModelCheckpoint
    from safetensors.torch import save_file

    from zoo.systems.gan import NonFiniteLossError

    start = time.time()
    torch.set_float32_matmul_precision("high")  # TF32 matmuls on GPUs that have them
    torch.backends.cudnn.benchmark = True  # fixed input shapes: let cuDNN pick the fastest convolutions
    recipe = yaml.safe_load(Path(args.recipe).read_text())
    pl.seed_everything(recipe.get("seed_everything", 0), workers=True)
    out, run_dir = Path(args.out), Path(args.out) / args.id
    run_dir.mkdir(parents=True, exist_ok=True)
    system = instantiate(recipe["model"], fid_every_n_epochs=0, sample_every_n_epochs=0)
    data = instantiate(recipe["data"])
    trainer_args = {k: v for k, v in (recipe.get("trainer") or {}).items() if k not in ("logger", "callbacks")}
    trainer_args.update(max_time=args.max_time, logger=False, enable_progress_bar=False, default_root_dir=run_dir,
                        callbacks=[ModelCheckpoint(dirpath=run_dir, save_last=True, save_top_k=0)])
    trainer = pl.Trainer(**trainer_args)
    stopped = "budget"
    try:
        trainer.fit(system, data)
    except NonFiniteLossError as err:
        stopped = f"non-finite loss: {err}"
        ckpt = torch.load(run_dir / "last.ckpt", map_location="cpu", weights_only=True)
        system.load_state_dict(ckpt["state_dict"])
    wall = time.time() - start
    state = {k: (v.half() if v.is_floating_point() else v).detach().cpu().contiguous()
             for k, v in system.net.state_dict().items()}
    save_file(state, str(out / f"{args.id}.safetensors"))
    info = {
        "id": args.id, "recipe": args.recipe, "max_time": args.max_time, "stopped": stopped,
        "epochs": trainer.current_epoch, "global_step": trainer.global_step,
        "generator_steps": system.generator_steps, "critic_steps": system.critic_steps,
        "batch_size": recipe["data"].get("init_args", {}).get("batch_size"),
        "wall_time_s": round(wall, 1), "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__, "lightning": pl.__version__,
        "architecture": system.hparams.architecture, "model_args": dict(system.hparams.model_args),
        "hparams": {k: v for k, v in system.hparams.items() if k not in ("model_args",)},
    }
    (out / f"{args.id}.json").write_text(json.dumps(info, indent=2, default=str) + "\n")
    print(json.dumps({k: info[k] for k in ("id", "epochs", "generator_steps", "wall_time_s", "stopped")}))


if __name__ == "__main__":
    main()
