"""Turn a trained Lightning checkpoint into a shipped checkpoint folder plus its registry entry.

Convention shared by every system in ``zoo/systems``: the LightningModule keeps the module it ships in the
attribute ``net`` and saves ``architecture`` and ``model_args`` with ``save_hyperparameters``. Export keeps the
``net.*`` weights only (inference weights; optimiser state, critics and encoders used only in training are
dropped), writes ``checkpoints/<id>/`` atomically, records ``zoo/pretrained/<id>.json`` with the weights' sha256,
and regenerates the cards.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from zoo.hub import WEIGHTS_NAME, checkpoints_dir, save_pretrained, sha256_file, write_text_atomic
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
    ckpt_root = checkpoints_dir()
    folder = ckpt_root / model_id

    # Weights first, so the sha256 is known when the card and registry entry are written.
    tmp_folder = save_pretrained(net, ckpt_root / f".{model_id}.weights", architecture, model_args)
    try:
        digest = sha256_file(tmp_folder / WEIGHTS_NAME)
        fields = {**meta, "architecture": architecture, "model_args": model_args, "sha256": digest}
        cfg = PretrainedCfg.from_dict(fields)
        public = {k: v for k, v in cfg.to_dict().items() if k != "revision"}
        save_pretrained(net, folder, architecture, model_args, pretrained_cfg=public, card=render_card(cfg))
    finally:
        shutil.rmtree(tmp_folder, ignore_errors=True)
    if sha256_file(folder / WEIGHTS_NAME) != digest:  # safetensors output is deterministic; guard it anyway
        raise ExportError("the weights changed between two writes; export again")
    write_text_atomic(pretrained_dir() / f"{model_id}.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    write_text_atomic(index_path(), render_index(load_pretrained_cfgs()))
    return cfg


def export_checkpoint(ckpt_path: str | Path, meta: dict[str, Any]) -> PretrainedCfg:
    architecture, model_args, state = read_lightning_checkpoint(ckpt_path)
    net = create_model(architecture, **model_args)
    net.load_state_dict(state, strict=True)
    return export_module(net.eval(), architecture, model_args, meta)
