"""Write W&B run files (``run-<id>.wandb``) the way W&B does, for tests of the code that reads them back."""

import struct
from pathlib import Path


def history(step: int, **values: float) -> bytes:
    """One serialized ``history`` record: what ``wandb.log`` records at Lightning's ``trainer/global_step``."""
    from wandb.proto import wandb_internal_pb2 as pb

    record = pb.Record()
    for key, value in {"trainer/global_step": step, "epoch": step // 10, "_runtime": 1.5, **values}.items():
        item = record.history.item.add()
        item.key, item.value_json = key, repr(value)
    return record.SerializeToString()


def write_wandb_file(path: Path, records: list[bytes], block: int = 32768) -> None:
    """A 7-byte ``:W&B`` header, then records with 7-byte headers, split into FIRST/MIDDLE/LAST at block ends."""
    out = bytearray(b":W&B\xe1\xbe\x00")
    for data in records:
        first = True
        while True:
            left = block - len(out) % block
            if left < 7:
                out += b"\0" * left
                continue
            chunk, data = data[:left - 7], data[left - 7:]
            kind = (1 if not data else 2) if first else (4 if not data else 3)
            out += struct.pack("<IHB", 0, len(chunk), kind) + chunk
            first = False
            if not data:
                break
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(out))
