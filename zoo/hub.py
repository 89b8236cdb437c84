"""Checkpoint folders in the Hugging Face Hub layout, and how an id is resolved to one.

A checkpoint folder is a Hub model repo::

    config.json          {"architecture": ..., "model_args": {...}, "pretrained_cfg": {...}}, derived from the
                         registry entry zoo/pretrained/<id>.json (:func:`checkpoint_config_text`)
    model.safetensors    inference weights only (the nn.Module's state_dict)
    README.md            model card (zoo.cards)

``zoo.load(id)`` resolves an id in this order: the local ``checkpoints/<id>/`` folder (shipped with the
repository), then the Hugging Face cache, then a download of the pinned revision. The weights' sha256 is checked
against the registry before anything is built. ``HF_HUB_OFFLINE=1`` is honoured by huggingface_hub itself.
No pickle and no Lightning are involved: the model is rebuilt from JSON and filled from safetensors.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from torch import nn

from zoo.io import (
    atomic_folder,
    first_line,
    pending_publish,
    recover,
    sha256_file,
    validate_id,
    write_text_atomic,
)
from zoo.ranks import is_rank_zero
from zoo.registry import PretrainedCfg, UnknownModelError, create_model, get_pretrained_cfg, pretrained_dir

__all__ = [
    "CARD_NAME",
    "CONFIG_NAME",
    "WEIGHTS_NAME",
    "CheckpointError",
    "checkpoints_dir",
    "load",
    "load_folder",
    "save_pretrained",
]

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"
HF_PREFIX = "hf-hub:"
REQUIRED_CONFIG_KEYS = ("architecture", "model_args")
PUBLISHED_AT = ("hf_hub_id", "revision")  # registry fields that config.json's copy leaves out
MAX_CONFIG_BYTES = 2**20  # the largest shipped config.json (aae-20news, with its vocabulary) is 74 kB
WEIGHTS_HEADER_BYTES = 2**24  # room for a safetensors header (tensor names and shapes) beside the weights


class CheckpointError(RuntimeError):
    """A checkpoint folder that cannot be loaded: the message says what is wrong and what to do."""


def checkpoints_dir() -> Path:
    """Where shipped checkpoint folders live: ``$ZOO_CHECKPOINTS`` or the repository's ``checkpoints/``."""
    env = os.environ.get("ZOO_CHECKPOINTS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "checkpoints"


def write_weights(model: nn.Module, path: str | Path) -> None:
    """Write the inference weights (the state_dict) of ``model`` as safetensors."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # One metadata key only: safetensors (0.8) writes the metadata map in hash order, so two keys make the
    # file's bytes (and its sha256) differ from one write to the next. The architecture is in config.json.
    save_file(state, str(path), metadata={"format": "pt"})


def config_text(architecture: str, model_args: dict[str, Any],
                pretrained_cfg: dict[str, Any] | None = None) -> str:
    """The bytes of a config.json: sorted keys, two-space indents, one final newline."""
    config = {"architecture": architecture, "model_args": model_args}
    if pretrained_cfg is not None:
        config["pretrained_cfg"] = pretrained_cfg
    return json.dumps(config, indent=2, sort_keys=True) + "\n"


def write_config(folder: Path, architecture: str, model_args: dict[str, Any],
                 pretrained_cfg: dict[str, Any] | None = None) -> None:
    (folder / CONFIG_NAME).write_text(config_text(architecture, model_args, pretrained_cfg))


def registry_copy(cfg: PretrainedCfg) -> dict[str, Any]:
    """The copy of a registry entry that a checkpoint's config.json carries as ``pretrained_cfg``.

    The registry entry ``zoo/pretrained/<id>.json`` is the one source of truth; this is the only function that
    derives the copy (``zoo export`` writes it, ``zoo cards`` rewrites it). It is the entry less where the folder
    is published (:data:`PUBLISHED_AT`): the Hub commit a folder is pushed as cannot be written into that folder's
    own files, and ``zoo push`` records both in the entry only after the upload, which leaves the pushed files
    and the local folder byte for byte the same.
    """
    return {k: v for k, v in cfg.to_dict().items() if k not in PUBLISHED_AT}


def checkpoint_config_text(cfg: PretrainedCfg) -> str:
    """What ``checkpoints/<id>/config.json`` holds, derived from the registry entry alone."""
    return config_text(cfg.architecture, cfg.model_args, registry_copy(cfg))


def config_disagreement(config: dict[str, Any], cfg: PretrainedCfg) -> list[str]:
    """The fields in which a checkpoint's config.json disagrees with its registry entry (``[]``: none).

    ``architecture`` and ``model_args`` are compared as written; ``pretrained_cfg.<field>`` by value, a field
    the copy lacks counting as its default (copies written before a field existed agree with an entry that
    leaves it at its default; :data:`PUBLISHED_AT` fields are not compared)."""
    differ = [k for k in ("architecture", "model_args") if config.get(k) != getattr(cfg, k)]
    recorded = config.get("pretrained_cfg")
    if not isinstance(recorded, dict):
        return [*differ, "pretrained_cfg"]
    try:
        copy = PretrainedCfg.from_dict({**recorded, "revision": cfg.revision})
    except (ValueError, TypeError):  # unknown or missing keys, malformed metrics
        return [*differ, "pretrained_cfg"]
    return differ + [f"pretrained_cfg.{k}" for k in registry_copy(cfg) if getattr(copy, k) != getattr(cfg, k)]


def save_pretrained(
    model: nn.Module,
    folder: str | Path,
    architecture: str,
    model_args: dict[str, Any],
    pretrained_cfg: dict[str, Any] | None = None,
    card: str | None = None,
) -> Path:
    """Write ``model`` as a checkpoint folder (atomically). Returns the folder."""
    with atomic_folder(folder) as tmp:
        write_weights(model, tmp / WEIGHTS_NAME)
        write_config(tmp, architecture, model_args, pretrained_cfg)
        if card is not None:
            (tmp / CARD_NAME).write_text(card)
    return Path(folder)


def read_config(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / CONFIG_NAME
    if not path.is_file():
        raise CheckpointError(f"{path} is missing: a checkpoint folder needs config.json, model.safetensors "
                              "and README.md. Re-export it with `zoo export`.")
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise CheckpointError(f"{path} holds {path.stat().st_size:,} bytes, more than the {MAX_CONFIG_BYTES:,} a "
                              "config.json may have; it is not a zoo checkpoint's. Re-export it with `zoo export`.")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"{path} is not valid JSON ({err}). Re-export the checkpoint with `zoo export`.")
    if not isinstance(config, dict):
        raise CheckpointError(f"{path} holds a JSON {type(config).__name__}, not an object. Re-export it with "
                              "`zoo export`.")
    missing = [k for k in REQUIRED_CONFIG_KEYS if k not in config]
    if missing:
        raise CheckpointError(f"{path} lacks the keys {missing}; the zoo's config.json holds "
                              "{'architecture', 'model_args', 'pretrained_cfg'}. Re-export with `zoo export`.")
    if not isinstance(config["architecture"], str) or not isinstance(config["model_args"], dict):
        raise CheckpointError(f"{path}: 'architecture' must be a string and 'model_args' an object. Re-export "
                              "the checkpoint with `zoo export`.")
    return config


def model_args_difference(actual: dict[str, Any], expected: dict[str, Any]) -> str:
    """``""`` when the two constructor-argument dicts agree, else ``"num_steps 6 (expected 3), ..."``."""
    def shown(args: dict[str, Any], key: str) -> str:
        return repr(args[key]) if key in args else "absent"

    keys = sorted(set(actual) | set(expected))
    return ", ".join(f"{k} {shown(actual, k)} (expected {shown(expected, k)})" for k in keys
                     if k not in actual or k not in expected or actual[k] != expected[k])


def non_finite_tensors(state: dict[str, Any]) -> list[str]:
    """Names of the floating-point tensors holding a NaN or an infinity (weights a diverged run left).

    A tensor's sum is finite when all its values are (a NaN or an infinity propagates); only a non-finite sum,
    which overflow could also cause, is checked element by element. That keeps the check at a few ms for the
    largest shipped generator, inside ``zoo.load``'s cold-start budget.
    """
    import torch

    def finite(v: torch.Tensor) -> bool:
        return bool(torch.isfinite(v.sum())) or bool(torch.isfinite(v).all())

    return [k for k, v in state.items() if v.is_floating_point() and not finite(v)]


def load_folder(folder: str | Path, expected_sha256: str | None = None,
                expected_architecture: str | None = None,
                expected_model_args: dict[str, Any] | None = None) -> nn.Module:
    """Build the model described by ``folder/config.json`` and fill it from ``folder/model.safetensors``.

    With ``expected_*`` (from the registry entry) the folder must hold exactly that model: same architecture,
    same constructor args (an edited ``num_steps`` or ``aggr`` would load and silently predict other numbers)
    and the weights' sha256. Weights with a NaN or an infinity are refused in every case.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from zoo.model_size import check_model_size

    folder = Path(folder)
    config = read_config(folder)
    architecture = config["architecture"]
    if expected_architecture is not None and architecture != expected_architecture:
        raise CheckpointError(
            f"{folder / CONFIG_NAME} describes architecture {architecture!r}, but the registry expects "
            f"{expected_architecture!r}: the folder holds another model. Re-export it or fix the registry entry.")
    if expected_model_args is not None:
        diff = model_args_difference(config["model_args"], expected_model_args)
        if diff:
            raise CheckpointError(
                f"{folder / CONFIG_NAME} does not match its registry entry: model_args {diff}. The weights were "
                "trained with the registry's arguments; restore config.json (or re-export the checkpoint).")
    with building_from(folder, architecture):  # before anything is allocated: model_args may ask for terabytes
        parameters = check_model_size(architecture, config["model_args"])
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"{weights} is missing. Re-export the checkpoint with `zoo export`.")
    size = weights.stat().st_size  # safetensors' load_file reads every tensor in the file, wanted or not
    if size > 8 * parameters + WEIGHTS_HEADER_BYTES:
        raise CheckpointError(f"{weights} holds {size:,} bytes, more than a {architecture!r} model of {parameters:,} "
                              "parameters can fill (8 bytes each): it holds other tensors. Delete it and download or "
                              "export the checkpoint again.")
    if expected_sha256:
        actual = sha256_file(weights)
        if actual != expected_sha256:
            raise CheckpointError(
                f"sha256 mismatch for {weights}: expected {expected_sha256}, got {actual}. The file is corrupted "
                "or was replaced; delete it (or its Hugging Face cache entry) and load again.")
    try:
        state = load_file(str(weights))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"{weights} is not a readable safetensors file ({err}); it is probably truncated "
                              "or corrupted. Delete it and download or export it again.") from err
    bad = non_finite_tensors(state)
    if bad:
        raise CheckpointError(f"{weights} holds NaN or infinite values in {', '.join(bad[:3])}"
                              f"{' ...' if len(bad) > 3 else ''}: the run that wrote it diverged. Retrain from "
                              "the last good checkpoint with a lower learning rate.")
    with building_from(folder, architecture):
        model = create_model(architecture, **config["model_args"])
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:  # a family's own ValueError (dcgan's ImageShapeError) already says what differs
        raise CheckpointError(f"{weights} does not match architecture {architecture!r} with the model_args in "
                              f"config.json: {err}") from err
    return model.eval()


@contextmanager
def building_from(folder: Path, architecture: str) -> Iterator[None]:
    """Turn what building a model from ``folder``'s config.json raises (an unknown architecture, arguments the
    constructor rejects, a model too large to be a checkpoint) into a :class:`CheckpointError` naming the file."""
    from zoo.model_size import ModelTooLargeError

    try:
        yield
    except ModelTooLargeError as err:
        raise CheckpointError(f"{folder / CONFIG_NAME}: {err}. Delete the folder (or its Hugging Face cache "
                              "entry) and get the checkpoint again.") from err
    except UnknownModelError as err:
        raise CheckpointError(f"{folder / CONFIG_NAME}: {err}") from err
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"{folder / CONFIG_NAME}: model_args do not fit architecture {architecture!r} "
                              f"({err}).") from err


def _hub_folder(repo_id: str, revision: str | None) -> Path:
    """Download (or find in the HF cache) the files of a zoo-format Hub repo; return the snapshot folder.

    A commit hash is served from the cache without any request; a branch such as ``main`` is checked against the
    Hub (so a new push is seen), with one request that times out, and the cache is used when offline or
    unreachable (:mod:`zoo.hub_client`: no retries, no wait without a timeout). The weights are fetched at the
    commit config.json resolved to (its snapshot folder is named after it), so both files come from one commit
    even if the branch moves in between.
    """
    from zoo.hub_client import HubFileTooLargeError, download
    from zoo.model_size import MAX_PARAMETERS

    folder_revision = revision
    largest = {CONFIG_NAME: MAX_CONFIG_BYTES, WEIGHTS_NAME: 8 * MAX_PARAMETERS + WEIGHTS_HEADER_BYTES}
    for name in (CONFIG_NAME, WEIGHTS_NAME):
        try:
            path = download(repo_id, name, folder_revision, max_bytes=largest[name])
        except HubFileTooLargeError as err:
            raise CheckpointError(f"{err}. Check the repo id: it is not a zoo checkpoint.") from err
        except Exception as err:  # network errors, offline mode, missing repo or revision
            raise CheckpointError(
                f"could not get {name} of Hub repo {repo_id!r} (revision {revision or 'main'}): "
                f"{first_line(err)}. It is neither in checkpoints/ nor in the Hugging Face cache, and the Hub did "
                "not provide it (check the repo id and revision; HF_HUB_OFFLINE=1 forbids downloads). Connect to "
                f"the network once, or copy the folder into {checkpoints_dir()}.") from err
        folder_revision = path.parent.name
    return path.parent


def hub_integrity(folder: Path) -> str | None:
    """The sha256 a Hub snapshot's weights must have: config.json's ``pretrained_cfg.sha256`` (written by
    ``zoo export``), else the repo's own file metadata. The HF cache names each blob after the ETag the Hub
    sent, which is the file's sha256 for LFS files and its git blob sha1 for small ones; a blob whose bytes
    no longer match that name is caught here. Returns the expected sha256 for :func:`load_folder`, or None
    when the git sha1 was checked instead."""
    import hashlib

    recorded = (read_config(folder).get("pretrained_cfg") or {}).get("sha256")
    if recorded:
        return recorded
    weights = folder / WEIGHTS_NAME
    blob = weights.resolve().name
    if len(blob) == 64:
        return blob
    if len(blob) == 40:
        data = weights.read_bytes()
        actual = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        if actual != blob:
            raise CheckpointError(f"{weights} does not match the Hub's file metadata (git sha1 {blob}, got "
                                  f"{actual}): delete its Hugging Face cache entry and load again.")
        return None
    raise CheckpointError(f"{folder}: the Hub repo records no sha256 for {WEIGHTS_NAME} (neither in "
                          "config.json's pretrained_cfg nor in its file metadata), so its integrity cannot be "
                          "checked. Re-push it with `zoo push`.")


def resolve_folder(cfg: PretrainedCfg) -> Path:
    local = checkpoints_dir() / validate_id(cfg.id)
    if (local / CONFIG_NAME).is_file():
        return local
    if not cfg.hf_hub_id:
        raise CheckpointError(f"{cfg.id}: no local folder {local} and no Hub repo recorded in its registry entry.")
    return _hub_folder(cfg.hf_hub_id, cfg.revision)


def recover_interrupted() -> list[str]:
    """Finish an export that crashed half-way, or sweep what it staged (:func:`zoo.io.recover`), and say so on
    stderr, one line each (a journal the zoo did not write gets a warning and is left alone). Read-only installs
    are left as they are.

    Only the commands that write checkpoint folders or registry entries call this (``zoo export``, ``zoo cards``,
    ``zoo push`` and their functions), just before they write: recovery renames and deletes, and a command that
    only reads (``zoo list``, ``zoo.load``, ``zoo eval``) must not change the disk because of a file it found in a
    clone or an archive. A reader that meets an unfinished publish of the id it loads says so instead
    (:func:`_refuse_unfinished_publish`)."""
    try:
        done = recover(checkpoints_dir(), pretrained_dir())
    except OSError:
        return []
    for line in done:
        print(f"zoo: {line}", file=sys.stderr)
    return done


def _refuse_unfinished_publish(model_id: str) -> None:
    """A folder whose publish (journal written by the zoo) is unfinished may not agree with its registry entry
    yet: refuse in one line that names the command that finishes it, rather than fail on a sha256 mismatch."""
    plan = pending_publish(checkpoints_dir() / model_id, [checkpoints_dir(), pretrained_dir()])
    if plan is not None:
        raise CheckpointError(f"an export of {model_id} is in progress or was interrupted ({plan.journal}); "
                              "wait for it, or run `zoo cards` to finish it, then load again")


def _locate(model_id: str) -> tuple[Path, dict[str, Any]]:
    """The folder of an id or ``hf-hub:`` repo, with what :func:`load_folder` must check it against: the
    registry entry's sha256, architecture and model_args, or a Hub snapshot's own record (:func:`hub_integrity`)."""
    if not isinstance(model_id, str):
        raise TypeError(f"model id must be a string, got {type(model_id).__name__}")
    if model_id.startswith(HF_PREFIX):
        repo_id, _, revision = model_id[len(HF_PREFIX):].partition("@")
        folder = _hub_folder(repo_id, revision or None)
        recorded = read_config(folder).get("pretrained_cfg") or {}
        args = recorded.get("model_args")
        return folder, {"expected_sha256": hub_integrity(folder),
                        "expected_architecture": recorded.get("architecture"),
                        "expected_model_args": args if isinstance(args, dict) else None}
    cfg = get_pretrained_cfg(model_id)
    _refuse_unfinished_publish(cfg.id)
    return resolve_folder(cfg), {"expected_sha256": cfg.sha256, "expected_architecture": cfg.architecture,
                                 "expected_model_args": cfg.model_args}


def load(model_id: str) -> nn.Module:
    """Load a pretrained model by zoo id (``"gcn-cora"``) or Hub repo (``"hf-hub:org/name[@revision]"``).

    Returns an ``nn.Module`` in eval mode. Raises ``UnknownModelError`` (with close matches) for an unknown id
    and ``CheckpointError`` for a folder that cannot be loaded.
    """
    folder, expected = _locate(model_id)
    return load_folder(folder, **expected)


def load_state_into(module: nn.Module, model_id: str) -> nn.Module:
    """Copy the weights of a zoo model into ``module`` (used by recipes' ``init_from`` for fine-tuning).

    Says which weights it loaded, on one line on stderr (from the first process only under DDP):
    ``initialised DCGANGenerator from wgan-gp-celeba (sha256 a7aac8952696…, checkpoints/wgan-gp-celeba)``.
    """
    folder, expected = _locate(model_id)
    source = load_folder(folder, **expected)
    try:
        module.load_state_dict(source.state_dict(), strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"cannot initialise from {model_id!r}: its weights do not fit the recipe's model "
                              f"({err}). Use the same architecture and model_args as the checkpoint.") from err
    if is_rank_zero():
        digest = expected.get("expected_sha256") or sha256_file(folder / WEIGHTS_NAME)
        print(f"initialised {type(module).__name__} from {model_id} (sha256 {digest[:12]}…, {folder})",
              file=sys.stderr)
    return module
