"""Turn a trained Lightning checkpoint into a shipped checkpoint folder plus its registry entry.

Convention shared by every system in ``zoo/systems``: the LightningModule keeps the module it ships in the
attribute ``net`` and saves ``architecture`` and ``model_args`` with ``save_hyperparameters``. Export keeps the
``net.*`` weights only (inference weights; optimiser state, critics and encoders used only in training are
dropped), and publishes ``checkpoints/<id>/`` together with ``zoo/pretrained/<id>.json`` (the weights' sha256
included; the folder's config.json carries the entry's derived copy, :func:`zoo.hub.checkpoint_config_text`) as
one crash-safe step (:func:`zoo.io.publish`), then regenerates MODEL_CARDS.md.

Everything is checked before the first write, and a refusal leaves the folder, the registry and the cards as
they were. Refused: an id that is not a plain folder name (``""``, ``.``, ``../x``, ``a/b``, an absolute path);
weights holding a NaN or an infinity (a diverged run); a target folder that is a symbolic link or a file;
metadata whose ``architecture`` or ``model_args`` contradict the checkpoint's; and, unless ``replace=True``
(``zoo export --replace``), a checkpoint whose architecture or model_args differ from those of the registry entry
it would replace (a GAN shipped under a GCN's id and card). Export owns only :data:`OWNED_FILES` of the folder:
anything else in it (a user's NOTES.md, the card's figures and metrics.csv) is carried into the new folder.
"""

from __future__ import annotations

import json
import os
import shutil
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
    STAGED_MARKER,
    InvalidIdError,
    check_replaceable,
    first_line,
    publish,
    sha256_file,
    staged_folder,
    validate_id,
    write_text_atomic,
)
from zoo.registry import PretrainedCfg, create_model, load_pretrained_cfgs, pretrained_dir

NET_PREFIX = "net."
OWNED_FILES = (WEIGHTS_NAME, CONFIG_NAME, CARD_NAME)  # what export writes; the rest of a folder is the user's


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
                  meta: dict[str, Any], replace: bool = False, curves: list | None = None) -> PretrainedCfg:
    """Write ``net`` as ``checkpoints/<id>/`` and its registry entry from ``meta`` (PretrainedCfg fields).

    ``replace``: ship even when the registry entry of this id names another architecture or model_args.
    ``curves``: the run's logged metrics (:func:`zoo.run_metrics.metrics_from_run`), shipped as ``metrics.csv``
    and drawn on the card (``curves.png``) once the folder is in place."""
    from zoo.cards import index_path, render_card, render_index, write_cards
    from zoo.run_metrics import METRICS_NAME, metrics_csv_text

    model_id = _checked_id(meta)
    bad = non_finite_tensors(net.state_dict())
    if bad:
        raise ExportError(f"the weights hold NaN or infinite values ({', '.join(bad[:3])}"
                          f"{' ...' if len(bad) > 3 else ''}): the run diverged. Export an earlier checkpoint or "
                          "retrain with a lower learning rate.")
    _check_meta_agrees(meta, architecture, model_args)
    check_target(model_id, architecture, model_args, replace)
    target = checkpoints_dir() / model_id
    fields = {**meta, "architecture": architecture, "model_args": model_args}
    render_card(PretrainedCfg.from_dict({**fields, "sha256": "0" * 64}))  # bad metadata: refused before any write
    # Weights first, so the sha256 is known when config.json and the card are written; any error removes the staged
    # folder and leaves the shipped folder and the registry untouched.
    with staged_folder(target) as tmp:
        _carry_foreign_files(target, tmp)
        if curves:
            (tmp / METRICS_NAME).write_text(metrics_csv_text(curves))
        write_weights(net, tmp / WEIGHTS_NAME)
        cfg = PretrainedCfg.from_dict({**fields, "sha256": sha256_file(tmp / WEIGHTS_NAME)})
        (tmp / CONFIG_NAME).write_text(checkpoint_config_text(cfg))  # the registry entry's derived copy
        (tmp / CARD_NAME).write_text(render_card(cfg))
        entry = pretrained_dir() / f"{model_id}.json"
        entry.parent.mkdir(parents=True, exist_ok=True)
        publish(target, tmp, {entry: json.dumps(cfg.to_dict(), indent=2) + "\n"})
    write_text_atomic(index_path(), render_index(load_pretrained_cfgs()))
    if curves:
        write_cards()  # curves.png from the new metrics.csv, and the card that shows it
    return cfg


def check_target(model_id: str, architecture: str, model_args: dict[str, Any], replace: bool = False) -> None:
    """The checks that need no weights, run again by :func:`export_module` and first by ``zoo export RUN`` before
    its evaluation: a plain id, a target folder that can be replaced, and (unless ``replace``) the same model as
    the registry entry it would replace."""
    _valid_id(model_id)
    try:
        check_replaceable(checkpoints_dir() / model_id)
    except ValueError as err:
        raise ExportError(str(err)) from err
    recover_interrupted()  # an earlier export's crash is finished first: the entry compared below is then current
    shipped = load_pretrained_cfgs().get(model_id)
    if shipped is not None and not replace:
        _check_same_model(shipped, architecture, model_args)


def _checked_id(meta: dict[str, Any]) -> str:
    if "id" not in meta:
        raise ExportError("the export metadata needs an 'id' (<method>-<dataset>)")
    return _valid_id(meta["id"])


def _valid_id(model_id: Any) -> str:
    try:
        return validate_id(model_id)
    except InvalidIdError as err:
        raise ExportError(f"{err}; pass --id <method>-<dataset>") from err


def _as_json(value: Any) -> Any:
    """``value`` as the registry stores it (tuples become lists), so a checkpoint's args compare with an entry's."""
    return json.loads(json.dumps(value, sort_keys=True))


def same_args(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether two model_args are the same once stored as JSON (a tuple equals a list)."""
    return _as_json(a) == _as_json(b)


def _args_difference(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """``"hidden_channels 16 (checkpoint: 4), dropout missing"``: the model_args that differ, three at most."""
    expected, actual = _as_json(expected), _as_json(actual)
    keys = sorted(k for k in expected.keys() | actual.keys() if expected.get(k, ...) != actual.get(k, ...))
    shown = [f"{k} {expected[k]!r} (checkpoint: {actual[k]!r})" if k in expected and k in actual
             else f"{k} {'missing' if k in actual else 'only there'} in the checkpoint's" for k in keys[:3]]
    return ", ".join(shown) + (" ..." if len(keys) > 3 else "")


def _check_meta_agrees(meta: dict[str, Any], architecture: str, model_args: dict[str, Any]) -> None:
    """The checkpoint's architecture and model_args describe its weights; metadata that names others is wrong."""
    if "architecture" in meta and meta["architecture"] != architecture:
        raise ExportError(f"the metadata names architecture {meta['architecture']!r} but the checkpoint holds "
                          f"{architecture!r}; drop 'architecture' from the metadata (the checkpoint's is used)")
    if "model_args" in meta and not same_args(meta["model_args"], model_args):
        raise ExportError(f"the metadata's model_args differ from the checkpoint's: "
                          f"{_args_difference(meta['model_args'], model_args)}; drop 'model_args' from the metadata "
                          "(the checkpoint's are used)")


def _check_same_model(shipped: PretrainedCfg, architecture: str, model_args: dict[str, Any]) -> None:
    """Refuse to ship another kind of model under an id (its card, metrics and evaluator describe the old one)."""
    if shipped.architecture != architecture:
        differ = f"architecture {shipped.architecture!r} (checkpoint: {architecture!r})"
    elif not same_args(shipped.model_args, model_args):
        differ = f"model_args {_args_difference(shipped.model_args, model_args)}"
    else:
        return
    raise ExportError(f"{shipped.id} is shipped with {differ} (zoo/pretrained/{shipped.id}.json); nothing was "
                      f"written. Export under another --id, or pass --replace to ship this model as {shipped.id}")


def _carry_foreign_files(target: Path, staged: Path) -> None:
    """Copy everything of the shipped folder that export does not own into the staged folder (symbolic links
    stay links, never followed), so replacing the folder keeps a user's notes and the card's figures."""
    if not target.is_dir():
        return
    for entry in sorted(target.iterdir()):
        if entry.name in OWNED_FILES or entry.name == STAGED_MARKER:
            continue
        if entry.is_symlink():
            (staged / entry.name).symlink_to(os.readlink(entry))
        elif entry.is_dir():
            shutil.copytree(entry, staged / entry.name, symlinks=True)
        else:
            shutil.copy2(entry, staged / entry.name)


def load_trained_net(ckpt_path: str | Path) -> tuple[nn.Module, str, dict[str, Any]]:
    """The trained ``net`` of a zoo recipe's Lightning checkpoint, in eval mode, with its architecture and args."""
    from zoo.model_size import ModelTooLargeError, check_model_size

    architecture, model_args, state = read_lightning_checkpoint(ckpt_path)
    try:
        check_model_size(architecture, model_args)  # a moved or foreign run's hparams may ask for terabytes
        net = create_model(architecture, **model_args)
        net.load_state_dict(state, strict=True)
    except (TypeError, RuntimeError, ModelTooLargeError) as err:
        first = first_line(err)
        raise ExportError(f"{ckpt_path}: its weights do not build {architecture!r} with its model_args ({first})"
                          ) from err
    return net.eval(), architecture, model_args


def export_checkpoint(ckpt_path: str | Path, meta: dict[str, Any], replace: bool = False) -> PretrainedCfg:
    """:func:`export_module` of a zoo recipe's Lightning checkpoint (``replace``: see there). When the checkpoint
    lies in a ``zoo train`` run folder (``<run>/checkpoints/``), the run's logged metrics (its CSV logs, or else
    its W&B offline run) become the card's curves."""
    net, architecture, model_args = load_trained_net(ckpt_path)
    return export_module(net, architecture, model_args, meta, replace=replace, curves=run_curves(Path(ckpt_path)))


def run_curves(ckpt_path: Path) -> list | None:
    """The metrics logged by the run whose checkpoint ``ckpt_path`` is, or None outside a run folder."""
    from zoo.run_metrics import logged_metrics_source, metrics_from_run

    run_dir = ckpt_path.resolve().parent.parent
    if ckpt_path.resolve().parent.name != "checkpoints" or logged_metrics_source(run_dir) is None:
        return None
    return metrics_from_run(run_dir) or None
