"""A recipe whose run keeps a best monitored checkpoint beside its last one (tests of which one is the result)."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def write_best_and_last_recipe(path: Path, max_epochs: int = 4) -> Path:
    """``recipes/nfp/debug.yaml`` (60 molecules: the validation loss is lowest early, then rises) with a
    ``best`` checkpoint monitoring ``val/loss`` and a ``latest`` one with ``last.ckpt``, written to ``path``."""
    recipe = yaml.safe_load((REPO / "recipes/nfp/debug.yaml").read_text())
    recipe["trainer"].update(max_epochs=max_epochs, callbacks=[
        {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
         "init_args": {"monitor": "val/loss", "mode": "min", "save_top_k": 1, "filename": "best"}},
        {"class_path": "lightning.pytorch.callbacks.ModelCheckpoint",
         "init_args": {"save_top_k": 1, "save_last": True, "filename": "latest"}}])
    path.write_text(yaml.safe_dump(recipe))
    return path
