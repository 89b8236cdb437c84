"""``zoo train``: LightningCLI over the recipes, with the zoo's defaults.

Every recipe is a LightningCLI YAML (``recipes/<method>/<dataset>.yaml``) naming a system from ``zoo.systems``
and a datamodule from ``zoo.data``. On top of plain LightningCLI, ``zoo train`` adds:

- a run folder, ``runs/<method>/<recipe>`` unless ``--trainer.default_root_dir`` says otherwise, where the full
  config of the run (``config.yaml``), checkpoints and W&B files go;
- resumption: the same command run again continues from ``<run>/checkpoints/last.ckpt``;
- W&B tracking through Lightning's ``WandbLogger``, offline unless the user has W&B credentials, and resumed
  under the same run id (see :func:`make_wandb_logger`);
- a progress bar (Lightning's default) and a ``last.ckpt`` every epoch.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any, Sequence

import yaml
from lightning.pytorch import LightningDataModule, LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.cli import LightningCLI

RUN_ID_FILE = "wandb_run_id"


def wandb_mode() -> str:
    """``$WANDB_MODE`` if set; else "online" when credentials exist, "offline" otherwise (never a login prompt)."""
    if os.environ.get("WANDB_MODE"):
        return os.environ["WANDB_MODE"]
    if os.environ.get("WANDB_API_KEY"):
        return "online"
    netrc = Path.home() / ".netrc"
    if netrc.is_file() and "api.wandb.ai" in netrc.read_text(errors="ignore"):
        return "online"
    return "offline"


def make_wandb_logger(run_dir: Path, name: str, project: str = "zoo"):
    """A ``WandbLogger`` that keeps its run id in ``run_dir`` so a resumed run logs into the same W&B run."""
    from lightning.pytorch.loggers import WandbLogger

    run_dir.mkdir(parents=True, exist_ok=True)
    id_file = run_dir / RUN_ID_FILE
    if id_file.is_file():
        run_id = id_file.read_text().strip()
    else:
        run_id = secrets.token_hex(4)  # W&B run ids are short lowercase alphanumerics
        if int(os.environ.get("LOCAL_RANK", "0")) == 0 and int(os.environ.get("NODE_RANK", "0")) == 0:
            id_file.write_text(run_id + "\n")
    os.environ.setdefault("WANDB_SILENT", "true")
    return WandbLogger(project=project, name=name, id=run_id, resume="allow", save_dir=str(run_dir),
                       mode=wandb_mode(), log_model=False)


class ZooCLI(LightningCLI):
    """LightningCLI with the run folder, W&B logger and last-checkpoint defaults described above."""

    def __init__(self, *args: Any, run_name: str = "run", **kwargs: Any):
        self.run_name = run_name
        super().__init__(*args, **kwargs)

    def instantiate_trainer(self, **kwargs: Any) -> Trainer:
        trainer_cfg = self._get(self.config_init, "trainer", default={})
        run_dir = Path(trainer_cfg.get("default_root_dir") or "runs")
        if trainer_cfg.get("logger") in (None, True):
            kwargs["logger"] = make_wandb_logger(run_dir, self.run_name)
        callbacks = list(trainer_cfg.get("callbacks") or [])
        if not any(isinstance(c, ModelCheckpoint) for c in callbacks):
            # save_top_k=1 without a monitor keeps the latest epoch; Lightning 2.6 writes last.ckpt only
            # alongside a top-k save, so save_top_k=0 would leave nothing to resume from mid-run.
            callbacks.append(ModelCheckpoint(dirpath=run_dir / "checkpoints", save_last=True, save_top_k=1))
        kwargs["callbacks"] = callbacks
        return super().instantiate_trainer(**kwargs)

    def after_fit(self) -> None:
        """Close the W&B run so a second run in the same process starts its own."""
        from lightning.pytorch.loggers import WandbLogger

        if isinstance(self.trainer.logger, WandbLogger) and self.trainer.is_global_zero:
            import wandb

            wandb.finish()


def run_name_of(recipe: Path) -> str:
    """``recipes/gcn/cora.yaml`` -> ``gcn/cora``."""
    parts = recipe.with_suffix("").parts
    return "/".join(parts[parts.index("recipes") + 1:]) if "recipes" in parts else recipe.stem


def check_recipe(recipe: Path) -> dict:
    """Parse a recipe file and check its top-level shape; raise ``ValueError`` that says what is wrong."""
    if not recipe.is_file():
        raise ValueError(f"recipe {recipe} does not exist; `ls recipes/*/` lists the recipes")
    try:
        config = yaml.safe_load(recipe.read_text())
    except yaml.YAMLError as err:
        raise ValueError(f"recipe {recipe} is not valid YAML: {err}") from err
    if not isinstance(config, dict) or "model" not in config:
        raise ValueError(f"recipe {recipe} must be a LightningCLI config mapping with at least a 'model' section "
                         "(class_path + init_args) and usually 'data' and 'trainer'")
    return config


def train(recipe: str | Path, extra_args: Sequence[str] = (), run: bool = True) -> ZooCLI:
    """Run ``fit`` for a recipe (resuming from the run folder's last checkpoint when there is one)."""
    recipe = Path(recipe)
    check_recipe(recipe)
    name = run_name_of(recipe)
    args = ["--config", str(recipe)]
    if not any(a.startswith("--trainer.default_root_dir") for a in extra_args):
        args.append(f"--trainer.default_root_dir=runs/{name}")
    args += list(extra_args)
    if run:
        args = ["fit", *args]
        if not any(a.startswith("--ckpt_path") for a in extra_args):
            args.append("--ckpt_path=last")  # resume if <run>/checkpoints/last.ckpt exists; else start fresh
    return ZooCLI(LightningModule, LightningDataModule, subclass_mode_model=True, subclass_mode_data=True,
                  save_config_kwargs={"overwrite": True}, args=args, run=run, run_name=name)


def main(argv: Sequence[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    train(argv[0], argv[1:])


if __name__ == "__main__":
    main()
