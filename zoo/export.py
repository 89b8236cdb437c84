"""Turn a trained Lightning checkpoint into a shipped checkpoint folder plus its registry entry.

Convention shared by every system in ``zoo/systems``: the LightningModule keeps the module it ships in the
attribute ``net`` and saves ``architecture`` and ``model_args`` with ``save_hyperparameters``. Export keeps the
``net.*`` weights only (inference weights; optimiser state, critics and encoders used only in training are
dropped), and publishes ``checkpoints/<id>/`` together with ``zoo/pretrained/<id>.json`` (the weights' sha256
included; the folder's config.json carries the entry's derived copy, :func:`zoo.hub.checkpoint_config_text`) as
one crash-safe step (:func:`zoo.io.publish`), then regenerates MODEL_CARDS.md.

Refused: an id that is not a plain folder name (``""``, ``.``, ``../x``, ``a/b``, an absolute path) and weights
holding a NaN or an infinity (a diverged run), so neither can replace a shipped checkpoint.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zoo.hub import (
    CARD_NAME,
    CONFIG_NAME,
    WEIGHTS_NAME,
    checkpoint_config_text,
    checkpoints_dir,
    non_finite_tensors,
    recover_interrupted,
    write_weights,
)
from zoo.io import (
    InvalidIdError,
    first_line,
    publish,
    sha256_file,
    staged_folder,
    validate_id,
    write_text_atomic,
)
from zoo.registry import PretrainedCfg, create_model, pretrained_dir

NET_PREFIX = "net."


class ExportError(RuntimeError):
    pass


def read_lightning_checkpoint(ckpt_path: str | Path) -> tuple[str, dict[str, Any], dict[str, torch.Tensor]]:
    """Return ``(architecture, model_args, net_state_dict)`` from a Lightning ``.ckpt`` written by a zoo recipe."""
    ckpt_path = Path(ckpt_path)
    if ckpt_path.is_dir():
        raise ExportError(f"{ckpt_path} is a folder; pass the .ckpt file a recipe wrote in it "
                          "(runs/<recipe>/.../checkpoints/last.ckpt).")
    if not ckpt_path.is_file():
        raise ExportError(f"checkpoint {ckpt_path} does not exist; pass the .ckpt a recipe wrote "
                          "(runs/<recipe>/.../checkpoints/last.ckpt).")
    try:
        # Our own recipe's file: hyper-parameters are plain JSON types, so the safe loader suffices.
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    except Exception as err:  # a pickle the safe loader refuses, a truncated or foreign file
        first = first_line(err)
        raise ExportError(f"{ckpt_path} is not a readable Lightning checkpoint ({first}).") from err
    hparams = ckpt.get("hyper_parameters", {}) if isinstance(ckpt, dict) else {}
    if not isinstance(hparams, dict) or "architecture" not in hparams or "model_args" not in hparams \
            or not isinstance(ckpt.get("state_dict"), dict):
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
    try:
        model_id = validate_id(meta["id"])
    except InvalidIdError as err:
        raise ExportError(f"{err}; pass --id <method>-<dataset>") from err
    bad = non_finite_tensors(net.state_dict())
    if bad:
        raise ExportError(f"the weights hold NaN or infinite values ({', '.join(bad[:3])}"
                          f"{' ...' if len(bad) > 3 else ''}): the run diverged. Export an earlier checkpoint or "
                          "retrain with a lower learning rate.")
    recover_interrupted()
    # Weights first, so the sha256 is known when config.json and the card are written; any error (bad metadata
    # included) removes the staged folder and leaves the shipped folder and the registry untouched.
    target = checkpoints_dir() / model_id
    with staged_folder(target) as tmp:
        write_weights(net, tmp / WEIGHTS_NAME)
        digest = sha256_file(tmp / WEIGHTS_NAME)
        cfg = PretrainedCfg.from_dict({**meta, "architecture": architecture, "model_args": model_args,
                                       "sha256": digest})
        (tmp / CONFIG_NAME).write_text(checkpoint_config_text(cfg))  # the registry entry's derived copy
        (tmp / CARD_NAME).write_text(render_card(cfg))
        entry = pretrained_dir() / f"{model_id}.json"
        entry.parent.mkdir(parents=True, exist_ok=True)
        publish(target, tmp, {entry: json.dumps(cfg.to_dict(), indent=2) + "\n"})
    write_text_atomic(index_path(), render_index(load_pretrained_cfgs()))
    return cfg


def load_trained_net(ckpt_path: str | Path) -> tuple[nn.Module, str, dict[str, Any]]:
    """The trained ``net`` of a zoo recipe's Lightning checkpoint, in eval mode, with its architecture and args."""
    architecture, model_args, state = read_lightning_checkpoint(ckpt_path)
    try:
        net = create_model(architecture, **model_args)
        net.load_state_dict(state, strict=True)
    except (TypeError, RuntimeError) as err:
        first = first_line(err)
        raise ExportError(f"{ckpt_path}: its weights do not build {architecture!r} with its model_args ({first})"
                          ) from err
    return net.eval(), architecture, model_args


def export_checkpoint(ckpt_path: str | Path, meta: dict[str, Any]) -> PretrainedCfg:
    net, architecture, model_args = load_trained_net(ckpt_path)
    return export_module(net, architecture, model_args, meta)
