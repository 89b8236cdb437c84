"""Turn a trained Lightning checkpoint into a shipped checkpoint folder plus its registry entry.

Convention shared by every system in ``zoo/systems``: the LightningModule keeps the module it ships in the
attribute ``net`` and saves ``architecture`` and ``model_args`` with ``save_hyperparameters``. Export keeps the
``net.*`` weights only (inference weights; optimiser state, critics and encoders used only in training are
dropped), writes ``checkpoints/<id>/`` atomically, records ``zoo/pretrained/<id>.json`` with the weights' sha256,
and regenerates the cards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from zoo.hub import (CARD_NAME, WEIGHTS_NAME, atomic_folder, checkpoints_dir, sha256_file, write_config,
                     write_text_atomic, write_weights)
from zoo.registry import PretrainedCfg, create_model, pretrained_dir

NET_PREFIX = "net."


class ExportError(RuntimeError):
    pass


def read_lightning_checkpoint(ckpt_path: str | Path) -> tuple[str, dict[str, Any], dict[str, torch.Tensor]]:
    """Return ``(architecture, model_args, net_state_dict)`` from a Lightning ``.ckpt`` written by a zoo recipe."""
    ckpt_path = Path(ckpt_path)
    if not ckpt_path.is_file():
        raise ExportError(f"checkpoint {ckpt_path} does not exist; pass the .ckpt a recipe wrote "
                          "(runs/<recipe>/.../checkpoints/last.ckpt).")
    try:
        # Our own recipe's file: hyper-parameters are plain JSON types, so the safe loader suffices.
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ExportError(f"{ckpt_path} is not a readable Lightning checkpoint ({err}).") from err
    hparams = ckpt.get("hyper_parameters", {})
    if "architecture" not in hparams or "model_args" not in hparams:
        raise ExportError(f"{ckpt_path} was not written by a zoo system: its hyper-parameters lack "
                          "'architecture' and 'model_args'.")
    state = {k[len(NET_PREFIX):]: v for k, v in ckpt["state_dict"].items() if k.startswith(NET_PREFIX)}
    if not state:
        raise ExportError(f"{ckpt_path} holds no '{NET_PREFIX}*' weights to ship.")
    return hparams["architecture"], dict(hparams["model_args"]), state


def export_module(net: nn.Module, architecture: str, model_args: dict[str, Any],
                  meta: dict[str, Any]) -> PretrainedCfg:
    """Write ``net`` as ``checkpoints/<id>/`` and its registry entry from ``meta`` (PretrainedCfg fields)."""
    from zoo.cards import index_path, render_card, render_index
    from zoo.registry import load_pretrained_cfgs

    if "id" not in meta:
        raise ExportError("the export metadata needs an 'id' (<method>-<dataset>)")
    model_id = meta["id"]
    # One atomic folder: weights first, so the sha256 is known when config.json and the card are written;
    # any error (bad metadata included) removes the whole folder and leaves the registry untouched.
    with atomic_folder(checkpoints_dir() / model_id) as tmp:
        write_weights(net, tmp / WEIGHTS_NAME)
        digest = sha256_file(tmp / WEIGHTS_NAME)
        cfg = PretrainedCfg.from_dict({**meta, "architecture": architecture, "model_args": model_args,
                                       "sha256": digest})
        public = {k: v for k, v in cfg.to_dict().items() if k != "revision"}
        write_config(tmp, architecture, model_args, public)
        (tmp / CARD_NAME).write_text(render_card(cfg))
    write_text_atomic(pretrained_dir() / f"{model_id}.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    write_text_atomic(index_path(), render_index(load_pretrained_cfgs()))
    return cfg


def export_checkpoint(ckpt_path: str | Path, meta: dict[str, Any]) -> PretrainedCfg:
    architecture, model_args, state = read_lightning_checkpoint(ckpt_path)
    net = create_model(architecture, **model_args)
    net.load_state_dict(state, strict=True)
    return export_module(net.eval(), architecture, model_args, meta)
