"""Train a molecule recipe under a wall-clock budget with a plain Lightning ``Trainer`` and write small outputs.

Made for the GPU machine, which lacks jsonargparse, wandb and RDKit: the recipe YAML is read with PyYAML, the
system and datamodule are built directly, nothing is logged to W&B (a CSV log stays local), and QM9 comes from
the packed store ``$ZOO_DATA_ROOT/qm9/qm9_graphs.npz`` (``python -m zoo.data.qm9 pack``). The learning rate
follows a cosine over the budget (``scheduler: time_cosine``), so the run ends annealed however many epochs fit.

Writes into ``--out``: ``<name>.safetensors`` (the best-validation inference weights of ``net``) and
``<name>.json`` (architecture, model_args, epochs, steps, wall time, the validation curve, device).

    python bench/molecules/train_budget.py recipes/mpnn/qm9-mu.yaml --minutes 7 --out $OUT/mpnn --name mpnn-qm9-mu
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

import torch
import yaml

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def build(spec: dict):
    module, _, name = spec["class_path"].rpartition(".")
    return getattr(importlib.import_module(module), name)(**spec.get("init_args", {}))


class KeepBest:
    """Callback (built lazily so this file imports without Lightning) keeping a CPU copy of the best ``net``."""

    def __new__(cls, monitor: str):
        from lightning.pytorch.callbacks import Callback

        class _KeepBest(Callback):
            def __init__(self):
                self.best, self.state, self.curve, self.best_epoch = float("inf"), None, [], -1

            def on_validation_epoch_end(self, trainer, module):
                if trainer.sanity_checking or monitor not in trainer.callback_metrics:
                    return
                value = float(trainer.callback_metrics[monitor])
                self.curve.append({"epoch": trainer.current_epoch + 1, "step": trainer.global_step,
                                   "minutes": round((time.time() - START) / 60, 2), monitor: value})
                print(json.dumps(self.curve[-1]), flush=True)
                if value < self.best:
                    self.best, self.best_epoch = value, trainer.current_epoch + 1
                    self.state = {k: v.detach().cpu().clone() for k, v in module.net.state_dict().items()}

        return _KeepBest()


START = time.time()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("recipe")
    parser.add_argument("--minutes", type=float, required=True, help="training wall-clock budget")
    parser.add_argument("--out", required=True)
    parser.add_argument("--name", required=True)
    parser.add_argument("--monitor", default="val/mae")
    parser.add_argument("--num-workers", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--train-subset", type=int, default=None, help="CPU smoke tests only")
    parser.add_argument("--init-weights", default=None,
                        help="safetensors of net to start from (replaces the recipe's init_from zoo id)")
    parser.add_argument("--model-args-from", default=None,
                        help="take architecture and model_args from this recipe (instead of a zoo id)")
    parser.add_argument("--keep-schedule", action="store_true",
                        help="keep the recipe's scheduler and max_epochs (max_time still applies)")
    parser.add_argument("--no-weights", action="store_true", help="write only the JSON")
    parser.add_argument("--data", action="append", default=[], metavar="KEY=VALUE",
                        help="override a datamodule argument (YAML value), e.g. --data limit=500")
    args = parser.parse_args(argv)

    import lightning.pytorch as pl
    from lightning.pytorch.loggers import CSVLogger
    from safetensors.torch import save_file

    torch.set_float32_matmul_precision("high")
    config = yaml.safe_load(Path(args.recipe).read_text())
    pl.seed_everything(config.get("seed_everything", 0))
    model_spec = config["model"]
    max_epochs = 10_000
    if args.keep_schedule:
        max_epochs = config.get("trainer", {}).get("max_epochs", max_epochs)
    else:
        model_spec["init_args"].update(scheduler="time_cosine", time_budget_min=args.minutes)
    if args.model_args_from:  # e.g. the QM9 recipe's model, when the zoo id is not registered on this machine
        source = yaml.safe_load(Path(args.model_args_from).read_text())["model"]["init_args"]
        model_spec["init_args"].update(architecture=source["architecture"], model_args=source["model_args"],
                                       init_from=None, args_from=None)
    if args.init_weights:
        model_spec["init_args"]["init_from"] = None
    if args.lr:
        model_spec["init_args"]["lr"] = args.lr
    data_args = config["data"].setdefault("init_args", {})
    for key, value in (("num_workers", args.num_workers), ("batch_size", args.batch_size),
                       ("train_subset", args.train_subset)):
        if value is not None:
            data_args[key] = value
    for item in args.data:
        key, _, value = item.partition("=")
        data_args[key] = yaml.safe_load(value)
    system, datamodule = build(model_spec), build(config["data"])
    if args.init_weights:
        from safetensors.torch import load_file

        system.net.load_state_dict(load_file(args.init_weights))
    keep = KeepBest(args.monitor)
    trainer = pl.Trainer(accelerator="auto", devices=1, max_epochs=max_epochs,
                         max_time={"minutes": args.minutes}, logger=CSVLogger(f"/tmp/{args.name}-logs"),
                         callbacks=[keep], enable_checkpointing=False, enable_progress_bar=False,
                         log_every_n_steps=50, num_sanity_val_steps=0)
    start = time.time()
    trainer.fit(system, datamodule=datamodule)
    wall = time.time() - start
    if keep.state is None:
        raise SystemExit("no validation epoch finished within the budget; nothing to save")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    system.net.load_state_dict(keep.state)  # test the best-validation weights
    tester = pl.Trainer(accelerator="auto", devices=1, logger=False, enable_progress_bar=False,
                        enable_model_summary=False)
    test = {k: float(v) for k, v in tester.test(system, datamodule=datamodule, verbose=False)[0].items()}
    if not args.no_weights:
        save_file(keep.state, str(out / f"{args.name}.safetensors"))
    summary = {
        "name": args.name, "recipe": args.recipe, "architecture": model_spec["init_args"]["architecture"],
        "model_args": model_spec["init_args"]["model_args"], "data": data_args,
        "hyper_parameters": {k: v for k, v in model_spec["init_args"].items() if k != "model_args"},
        "minutes_budget": args.minutes, "wall_time_s": round(wall, 1), "epochs": trainer.current_epoch,
        "steps": trainer.global_step, "best_epoch": keep.best_epoch, f"best_{args.monitor}": keep.best,
        "test": test, "init_weights": args.init_weights,
        "curve": keep.curve, "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu",
        "torch": torch.__version__,
    }
    (out / f"{args.name}.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "curve"}), flush=True)


if __name__ == "__main__":
    main()
