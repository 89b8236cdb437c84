"""The hand-written card fields of each shipped id, read from one data file: ``bench/card_fields.yaml``.

Why a YAML file under ``bench/``: only the bench scripts that measure and ship a checkpoint read it. They merge
these fields (method, paper, dataset and split text, licences, tags, the papers' numbers, and the prose of
protocols and notes) with the numbers they measure, and export; the export writes the result into
``zoo/pretrained/<id>.json``, the registry entry that the library reads. So the data file is the source of the
words, the registry entry the source of a shipped checkpoint's facts, and no script holds either. YAML rather
than JSON because most fields are sentences, and anchors let ids share them (the six MNIST GANs, the two GCNs).

    fields = card_fields("aae-mnist")              # registry fields, copied as they are
    text = card_text("aae-mnist", "notes", batches=2200, ...)   # a prose template, filled

``text`` templates use Python's ``str.format`` (``{sigma:.3f}``, ``{facts[batches]}``).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CARD_FIELDS_FILE = Path(__file__).resolve().with_name("card_fields.yaml")


class CardFieldsError(ValueError):
    """An id without an entry, a missing text, or a template given the wrong values; the message says which."""


@lru_cache(maxsize=1)
def _entries() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(CARD_FIELDS_FILE.read_text())
    if not isinstance(data, dict) or not isinstance(data.get("ids"), dict):
        raise CardFieldsError(f"{CARD_FIELDS_FILE} must be a mapping with an 'ids' section (one entry per id)")
    return data["ids"]


def card_ids() -> list[str]:
    """The ids that have card fields, in the file's order."""
    return list(_entries())


def _entry(model_id: str) -> dict[str, Any]:
    entries = _entries()
    if model_id not in entries:
        raise CardFieldsError(f"no card fields for {model_id!r} in {CARD_FIELDS_FILE.name}; add an entry under "
                              f"'ids' there (known ids: {', '.join(entries)})")
    return entries[model_id]


def card_fields(model_id: str) -> dict[str, Any]:
    """The id's registry fields (everything but ``text``), a fresh copy the caller may extend."""
    return {k: copy.deepcopy(v) for k, v in _entry(model_id).items() if k != "text"}


def card_text(model_id: str, name: str, **values: Any) -> str:
    """The id's prose template ``name`` with its ``{placeholders}`` filled from ``values``."""
    texts = _entry(model_id).get("text") or {}
    if name not in texts:
        raise CardFieldsError(f"{model_id} has no text {name!r} in {CARD_FIELDS_FILE.name} (it has: "
                              f"{', '.join(texts) or 'none'})")
    try:
        return texts[name].format(**values)
    except (KeyError, IndexError, AttributeError) as err:
        raise CardFieldsError(f"text {name!r} of {model_id} needs a value for {err} (given: "
                              f"{', '.join(values) or 'none'})") from None
