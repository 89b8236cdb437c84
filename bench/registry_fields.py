"""The fixed fields of a shipped id, read from its registry entry ``zoo/pretrained/<id>.json``.

A bench script that measures and ships a checkpoint writes a new registry entry. What a person wrote about the
checkpoint (method, paper, task, dataset and split text, licences, tags, the papers' numbers, published
baselines) is already in the current entry, the single home of a checkpoint's facts: the script copies it from
there and adds only what it measured (metrics, its own baselines, training record, notes).

    meta = {**fixed_fields("aae-mnist"), "id": "aae-mnist", "metrics": [...], ...}
"""

from __future__ import annotations

from typing import Any

from zoo.registry import HAND_WRITTEN_FIELDS, get_pretrained_cfg

# the entry's hand-written fields; every other field is measured (or derived) by the shipping script
FIXED_FIELDS = HAND_WRITTEN_FIELDS


def fixed_fields(model_id: str) -> dict[str, Any]:
    """The hand-written fields of ``model_id``'s registry entry, a fresh copy the caller may extend."""
    entry = get_pretrained_cfg(model_id).to_dict()
    fields = {name: entry[name] for name in FIXED_FIELDS}
    fields["tags"] = list(fields["tags"])
    return fields


def published_baselines(model_id: str) -> list[dict[str, Any]]:
    """The entry's baselines taken from the literature, for a script whose own baselines are cited ``ours: ...``
    (every baseline whose citation does not start with ``ours``): it re-measures its own and keeps these as they
    are. A script that cites its baselines otherwise (bench/molecules/esol.py) writes all of them itself."""
    return [b for b in get_pretrained_cfg(model_id).to_dict()["baselines"] if not b["citation"].startswith("ours")]
