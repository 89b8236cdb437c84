"""``zoo push``: upload a checkpoint folder as a Hugging Face Hub model repo and pin the revision.

The upload goes through the unmodified ``huggingface_hub`` client (``HfApi.create_repo`` + ``upload_folder``), so
``HF_ENDPOINT`` and ``HF_TOKEN`` work as usual. The commit id the Hub returns becomes the registry entry's pinned
``revision`` (with ``hf_hub_id``), so ``zoo.load(id)`` downloads exactly what was pushed and checks its sha256.
"""

from __future__ import annotations

import dataclasses
import json

from zoo.hub import CONFIG_NAME, checkpoints_dir, write_text_atomic
from zoo.registry import get_pretrained_cfg, pretrained_dir


def push(model_id: str, repo_id: str, private: bool = False, token: str | None = None) -> str:
    from huggingface_hub import HfApi

    cfg = get_pretrained_cfg(model_id)
    folder = checkpoints_dir() / model_id
    if not (folder / CONFIG_NAME).is_file():
        raise FileNotFoundError(f"{folder} is not a checkpoint folder; export it first with `zoo export`")
    api = HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    commit = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="model",
                               commit_message=f"zoo push {model_id}")
    revision = commit.oid
    updated = dataclasses.replace(cfg, hf_hub_id=repo_id, revision=revision)
    write_text_atomic(pretrained_dir() / f"{model_id}.json", json.dumps(updated.to_dict(), indent=2) + "\n")
    return revision
