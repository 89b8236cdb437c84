"""The metrics history of a W&B offline run, read from its ``.wandb`` file on this machine, without uploading it.

A ``zoo train`` run logs to W&B and, beside it, to Lightning's ``CSVLogger``; the CSV log is what the card's curves
are drawn from (:mod:`zoo.run_metrics`). A run made before the CSV log existed, or with W&B alone, has its metrics
only in ``<run>/wandb/offline-run-<time>-<id>/run-<id>.wandb``. Offline, ``wandb.Api`` cannot reach them (it reads
the server), and wandb 0.31 ships no Python reader of the file (its ``DataStore`` went with the move to the Go core;
``wandb beta leet`` shows a run in a terminal only), so this module reads the file itself.

The format is W&B's transaction log: a 7-byte header (``:W&B``, a 2-byte magic, a 1-byte version), then LevelDB's
log format: 32 KiB blocks of chunks, each chunk a 7-byte header (CRC32C: 4 bytes, length: 2, type: 1) and its
payload; a record is one FULL chunk, or FIRST, MIDDLE..., LAST; a block's tail shorter than a header is zero padding.
Each record is a ``Record`` protobuf, decoded with the message classes wandb itself writes it with
(``wandb.proto.wandb_internal_pb2``). That module is wandb's, not a documented API: this file is the one place the
zoo touches it, and :func:`history` raises a clear error if a later wandb moves it. The CRC is not checked (CRC32C
is not in the standard library); a run killed mid-write leaves a truncated last record, which is dropped.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from pathlib import Path

BLOCK_SIZE = 32 * 1024
FILE_HEADER = 7  # b":W&B" + magic (2 bytes) + version (1 byte)
CHUNK_HEADER = 7  # CRC32C (uint32), length (uint16), type (uint8), little-endian
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4
MAGIC = b":W&B"


def run_files(run_dir: str | Path) -> list[Path]:
    """The ``.wandb`` files of the W&B runs under a ``zoo train`` run folder (``<run>/wandb/*run-*/run-*.wandb``),
    oldest first (a resumed run appends to the same file; a fresh W&B run starts another)."""
    return sorted(Path(run_dir).glob("wandb/*run-*/run-*.wandb"))


def raw_records(path: str | Path) -> Iterator[bytes]:
    """The serialized records of a ``.wandb`` file, in the order they were written."""
    data = Path(path).read_bytes()
    if not data.startswith(MAGIC):
        raise ValueError(f"{path} is not a W&B run file (it does not start with {MAGIC!r}): pass the "
                         "run-<id>.wandb file of a wandb/offline-run-* folder")
    pos, pending = FILE_HEADER, None
    while pos + CHUNK_HEADER <= len(data):
        left_in_block = BLOCK_SIZE - pos % BLOCK_SIZE
        if left_in_block < CHUNK_HEADER:  # zero padding to the end of the block
            pos += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos:pos + CHUNK_HEADER])
        pos += CHUNK_HEADER
        if kind == 0 and length == 0:  # a preallocated, never written tail of the block
            pos += left_in_block - CHUNK_HEADER
            continue
        payload = data[pos:pos + length]
        pos += length
        if len(payload) < length:  # the run was killed while writing this record
            return
        if kind == FULL:
            yield payload
        elif kind == FIRST:
            pending = payload
        elif kind == MIDDLE and pending is not None:
            pending += payload
        elif kind == LAST and pending is not None:
            yield pending + payload
            pending = None


def history(path: str | Path) -> list[dict[str, object]]:
    """The rows ``wandb.log`` (Lightning's ``WandbLogger.log_metrics``) wrote to the run file ``path``, each a dict
    of key to value (``{"train/g_loss": 0.69, "trainer/global_step": 49, "epoch": 0, "_step": 0, ...}``)."""
    try:
        from wandb.proto import wandb_internal_pb2
    except ImportError as err:  # a later wandb that moved its message classes
        raise RuntimeError(f"this wandb ({err}) has no wandb.proto.wandb_internal_pb2 to decode {path} with: "
                           "install wandb<0.32, or `wandb sync` the run and read its history from the server") from err
    rows = []
    for raw in raw_records(path):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") == "history":
            rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                         for item in record.history.item})
    return rows
