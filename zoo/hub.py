"""Checkpoint folders in the Hugging Face Hub layout, and how an id is resolved to one.

A checkpoint folder is a Hub model repo::

    config.json          {"architecture": ..., "model_args": {...}, "pretrained_cfg": {...}}
    model.safetensors    inference weights only (the nn.Module's state_dict)
    README.md            model card (zoo.cards)

``zoo.load(id)`` resolves an id in this order: the local ``checkpoints/<id>/`` folder (shipped with the
repository), then the Hugging Face cache, then a download of the pinned revision. The weights' sha256 is checked
against the registry before anything is built. ``HF_HUB_OFFLINE=1`` is honoured by huggingface_hub itself.
No pickle and no Lightning are involved: the model is rebuilt from JSON and filled from safetensors.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import torch.nn as nn

from zoo.registry import PretrainedCfg, create_model, get_pretrained_cfg

CONFIG_NAME = "config.json"
WEIGHTS_NAME = "model.safetensors"
CARD_NAME = "README.md"
HF_PREFIX = "hf-hub:"
REQUIRED_CONFIG_KEYS = ("architecture", "model_args")


class CheckpointError(RuntimeError):
    """A checkpoint folder that cannot be loaded: the message says what is wrong and what to do."""


def checkpoints_dir() -> Path:
    """Where shipped checkpoint folders live: ``$ZOO_CHECKPOINTS`` or the repository's ``checkpoints/``."""
    env = os.environ.get("ZOO_CHECKPOINTS")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "checkpoints"


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@contextmanager
def atomic_folder(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it replaces ``target`` in one rename.

    On any error the temporary folder is removed, so a failed export never leaves a half-written checkpoint.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        yield tmp
        _make_readable(tmp)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
        tmp.rename(target)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _make_readable(folder: Path) -> None:
    """mkdtemp/mkstemp create owner-only files; a checkpoint is meant to be shared like any other file."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_weights(model: nn.Module, path: str | Path) -> None:
    """Write the inference weights (the state_dict) of ``model`` as safetensors."""
    from safetensors.torch import save_file

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    # One metadata key only: safetensors (0.8) writes the metadata map in hash order, so two keys make the
    # file's bytes (and its sha256) differ from one write to the next. The architecture is in config.json.
    save_file(state, str(path), metadata={"format": "pt"})


def write_config(folder: Path, architecture: str, model_args: dict[str, Any],
                 pretrained_cfg: dict[str, Any] | None = None) -> None:
    config = {"architecture": architecture, "model_args": model_args}
    if pretrained_cfg is not None:
        config["pretrained_cfg"] = pretrained_cfg
    (folder / CONFIG_NAME).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


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
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise CheckpointError(f"{path} is not valid JSON ({err}). Re-export the checkpoint with `zoo export`.")
    missing = [k for k in REQUIRED_CONFIG_KEYS if k not in config]
    if missing:
        raise CheckpointError(f"{path} lacks the keys {missing}; the zoo's config.json holds "
                              "{'architecture', 'model_args', 'pretrained_cfg'}. Re-export with `zoo export`.")
    return config


def load_folder(folder: str | Path, expected_sha256: str | None = None,
                expected_architecture: str | None = None) -> nn.Module:
    """Build the model described by ``folder/config.json`` and fill it from ``folder/model.safetensors``."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    folder = Path(folder)
    config = read_config(folder)
    architecture = config["architecture"]
    if expected_architecture is not None and architecture != expected_architecture:
        raise CheckpointError(
            f"{folder / CONFIG_NAME} describes architecture {architecture!r}, but the registry expects "
            f"{expected_architecture!r}: the folder holds another model. Re-export it or fix the registry entry.")
    weights = folder / WEIGHTS_NAME
    if not weights.is_file():
        raise CheckpointError(f"{weights} is missing. Re-export the checkpoint with `zoo export`.")
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
    try:
        model = create_model(architecture, **config["model_args"])
    except TypeError as err:
        raise CheckpointError(f"{folder / CONFIG_NAME}: model_args do not fit architecture {architecture!r} "
                              f"({err}).") from err
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"{weights} does not match architecture {architecture!r} with the model_args in "
                              f"config.json: {err}") from err
    return model.eval()


def _hub_folder(repo_id: str, revision: str | None) -> Path:
    """Download (or find in the HF cache) the files of a zoo-format Hub repo; return the snapshot folder.

    huggingface_hub itself serves a commit hash from the cache without any request, checks a branch such as
    ``main`` against the Hub (so a new push is seen), and falls back to the cache when offline or unreachable.
    The weights are fetched at the commit config.json resolved to (its snapshot folder is named after it), so
    both files come from one commit even if the branch moves in between.
    """
    from huggingface_hub import hf_hub_download

    folder_revision = revision
    for name in (CONFIG_NAME, WEIGHTS_NAME):
        try:
            path = Path(hf_hub_download(repo_id, name, revision=folder_revision))
        except Exception as err:  # network errors, offline mode, missing repo or revision
            raise CheckpointError(
                f"could not get {name} of Hub repo {repo_id!r} (revision {revision or 'main'}): {err}. "
                "It is neither in checkpoints/ nor in the Hugging Face cache, and the Hub did not provide it "
                "(check the repo id and revision; HF_HUB_OFFLINE=1 forbids downloads). Connect to the network "
                f"once, or copy the folder into {checkpoints_dir()}.") from err
        folder_revision = path.parent.name
    return path.parent


def resolve_folder(cfg: PretrainedCfg) -> Path:
    local = checkpoints_dir() / cfg.id
    if (local / CONFIG_NAME).is_file():
        return local
    if not cfg.hf_hub_id:
        raise CheckpointError(f"{cfg.id}: no local folder {local} and no Hub repo recorded in its registry entry.")
    return _hub_folder(cfg.hf_hub_id, cfg.revision)


def load(model_id: str) -> nn.Module:
    """Load a pretrained model by zoo id (``"gcn-cora"``) or Hub repo (``"hf-hub:org/name[@revision]"``).

    Returns an ``nn.Module`` in eval mode. Raises ``UnknownModelError`` (with close matches) for an unknown id
    and ``CheckpointError`` for a folder that cannot be loaded.
    """
    if model_id.startswith(HF_PREFIX):
        repo_id, _, revision = model_id[len(HF_PREFIX):].partition("@")
        return load_folder(_hub_folder(repo_id, revision or None))
    cfg = get_pretrained_cfg(model_id)
    folder = resolve_folder(cfg)
    return load_folder(folder, expected_sha256=cfg.sha256, expected_architecture=cfg.architecture)


def load_state_into(module: nn.Module, model_id: str) -> nn.Module:
    """Copy the weights of a zoo model into ``module`` (used by recipes' ``init_from`` for fine-tuning)."""
    source = load(model_id)
    try:
        module.load_state_dict(source.state_dict(), strict=True)
    except RuntimeError as err:
        raise CheckpointError(f"cannot initialise from {model_id!r}: its weights do not fit the recipe's model "
                              f"({err}). Use the same architecture and model_args as the checkpoint.") from err
    return module
