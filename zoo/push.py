"""``zoo push``: upload a checkpoint folder as a Hugging Face Hub model repo and pin the revision.

The upload goes through the unmodified ``huggingface_hub`` client (``HfApi.create_repo`` + ``upload_folder``), so
``HF_ENDPOINT`` and ``HF_TOKEN`` work as usual. The commit id the Hub returns becomes the registry entry's pinned
``revision`` (with ``hf_hub_id``), so ``zoo.load(id)`` downloads exactly what was pushed and checks its sha256.

Before anything is sent, the folder is loaded exactly as ``zoo.load`` would (sha256 of the weights against the
registry, config.json against the entry, finite weights), and only the known files of a checkpoint folder are
uploaded (:data:`UPLOADED_FILES`); anything else in the folder is reported and left behind. HTTP failures
(401, 403, 5xx), malformed replies and a Hub that does not answer within the client's timeouts
(:mod:`zoo.hub_client`) become a one-line :class:`PushError` that says what to do.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys

from zoo.hub import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    checkpoints_dir,
    load_folder,
    recover_interrupted,
)
from zoo.hub_client import session_with_timeouts
from zoo.io import first_line, validate_id, write_text_atomic
from zoo.registry import get_pretrained_cfg, pretrained_dir

# What a checkpoint folder may hold: the Hub layout plus the card's figures and metrics table.
UPLOADED_FILES = ("config.json", "model.safetensors", "README.md",
                  "samples.png", "interpolation.png", "curves.png", "metrics.csv")


class PushError(RuntimeError):
    """The push did not happen (or did not finish); the message says why and what to do."""


def push(model_id: str, repo_id: str, private: bool = False, token: str | None = None) -> str:
    """Upload the known files of ``checkpoints/<model_id>/`` to ``repo_id``; return the pinned commit."""
    from huggingface_hub import HfApi

    validate_id(model_id)
    recover_interrupted()
    cfg = get_pretrained_cfg(model_id)
    folder = checkpoints_dir() / model_id
    if not (folder / CONFIG_NAME).is_file():
        raise FileNotFoundError(f"{folder} is not a checkpoint folder; export it first with `zoo export`")
    # The same checks as zoo.load: what fails them locally must not become the Hub's copy.
    load_folder(folder, expected_sha256=cfg.sha256, expected_architecture=cfg.architecture,
                expected_model_args=cfg.model_args)
    files, skipped = upload_plan(folder)
    if skipped:
        print(f"zoo push: not uploading {', '.join(skipped)} (a checkpoint folder holds only "
              f"{', '.join(UPLOADED_FILES)})", file=sys.stderr)
    session_with_timeouts()  # a Hub that accepts the connection and never answers must not hold the push forever
    api = HfApi(token=token)
    with hub_errors(repo_id):
        api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
        commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                                   allow_patterns=files, commit_message=f"zoo push {model_id}")
        revision = commit.oid
    if not isinstance(revision, str) or len(revision) != 40:
        raise PushError(f"the Hub at {_endpoint()} answered the commit without a commit id ({revision!r}); the "
                        "registry entry was not changed. Check HF_ENDPOINT and push again.")
    updated = dataclasses.replace(cfg, hf_hub_id=repo_id, revision=revision)
    write_text_atomic(pretrained_dir() / f"{model_id}.json", json.dumps(updated.to_dict(), indent=2) + "\n")
    return revision


def upload_plan(folder) -> tuple[list[str], list[str]]:
    """``(files to upload, files left behind)``: the weights and config.json are required."""
    present = sorted(p.name for p in folder.iterdir())
    missing = [n for n in (CONFIG_NAME, WEIGHTS_NAME) if n not in present]
    if missing:
        raise PushError(f"{folder} lacks {', '.join(missing)}; re-export it with `zoo export`")
    return [n for n in present if n in UPLOADED_FILES], [n for n in present if n not in UPLOADED_FILES]


class hub_errors:
    """Turn what the Hub client raises into one-line :class:`PushError` messages."""

    def __init__(self, repo_id: str):
        self.repo_id = repo_id

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, err, tb) -> bool:
        if err is None or not isinstance(err, Exception) or isinstance(err, PushError):
            return False
        raise PushError(describe_hub_error(err, self.repo_id)) from err


def describe_hub_error(err: Exception, repo_id: str) -> str:
    import httpx2
    from huggingface_hub import constants
    from huggingface_hub.errors import HfHubHTTPError, HFValidationError

    if isinstance(err, HFValidationError):
        return f"{repo_id!r} is not a valid Hub repo id ({first_line(err)}); use --repo-id <namespace>/<name>"
    response = getattr(err, "response", None)
    status = getattr(response, "status_code", None) if isinstance(err, HfHubHTTPError) else None
    where = f"{_endpoint()} ({repo_id})"
    if status == 401:
        return (f"the Hub at {where} refused the credentials (HTTP 401): set HF_TOKEN to a valid token with write "
                "access, or run `hf auth login`")
    if status == 403:
        return (f"the token may not write to {repo_id} (HTTP 403): use a token with write access to that "
                "namespace, or push to a repo you own")
    if status is not None and status >= 500:
        return f"the Hub at {where} failed with HTTP {status}; nothing was pinned. Try again later"
    if isinstance(err, httpx2.TimeoutException):
        return (f"the Hub at {where} did not answer in time ({type(err).__name__}; connect within "
                f"HF_HUB_ETAG_TIMEOUT={constants.HF_HUB_ETAG_TIMEOUT} s, read within "
                f"HF_HUB_DOWNLOAD_TIMEOUT={constants.HF_HUB_DOWNLOAD_TIMEOUT} s); nothing was pinned. Check "
                "HF_ENDPOINT and the network (or raise those limits), then push again")
    first = first_line(err)
    if status is not None:
        return f"the Hub at {where} answered HTTP {status}: {first}"
    return (f"no usable reply from the Hub at {where} ({type(err).__name__}: {first}); nothing was pinned. Check "
            "HF_ENDPOINT and the network, then push again")


def _endpoint() -> str:
    from huggingface_hub import constants

    return os.environ.get("HF_ENDPOINT") or constants.ENDPOINT
