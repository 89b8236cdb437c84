"""A training run's checkpoint files: which one it resumes from, whether that one is intact, and saving them so
that a failed write leaves no partial file.

- **which**: Lightning's ``ModelCheckpoint`` writes ``last-v1.ckpt`` beside a ``last.ckpt`` it did not write itself
  (a run folder that was moved or copied, two callbacks that both keep a last checkpoint). The zoo's own callback
  is configured never to version (``enable_version_counter=False``), and :func:`last_checkpoint` follows the file
  Lightning wrote last, so a run never resumes from, or exports, a stale one.
- **intact**: :func:`check_resumable` opens a checkpoint before the run starts (``weights_only``, memory-mapped: the
  header only) and, if it is damaged, names the intact ones beside it and the command that resumes from one.
- **saving**: :class:`AtomicCheckpointIO` is Lightning's ``TorchCheckpointIO`` writing through a temporary sibling
  and one rename (:func:`zoo.io.atomic_path`): a full disk or a killed process leaves the previous file as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.plugins.io import TorchCheckpointIO

from zoo.io import atomic_path, first_line

LAST = re.compile(r"last(-v\d+)?\.ckpt")  # Lightning's CHECKPOINT_NAME_LAST and its versioned siblings


class DamagedCheckpointError(ValueError):
    """A checkpoint a run would resume from that cannot be read."""


def last_checkpoint(folder: Path) -> Path:
    """Of ``last.ckpt`` and any ``last-v<N>.ckpt`` in ``folder``, the one written last; ``folder/last.ckpt`` (which
    may not exist) when there is none."""
    written = [p for p in folder.glob("last*.ckpt") if LAST.fullmatch(p.name) and p.is_file()]
    return max(written, key=lambda p: p.stat().st_mtime_ns, default=folder / "last.ckpt")


def read_counters(path: Path) -> dict[str, Any]:
    """The checkpoint's ``epoch`` and ``global_step``, reading only what they need (mmap, no unpickling of code);
    raises :class:`DamagedCheckpointError` for a file that is not a readable Lightning checkpoint."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # truncated zip, not a torch file, a foreign pickle: all mean "cannot resume"
        reason = first_line(err).split(". ")[0]  # torch appends paragraphs of advice to the cause
        raise DamagedCheckpointError(f"{path} is damaged ({reason})") from err
    if not isinstance(state, dict) or "state_dict" not in state:
        raise DamagedCheckpointError(f"{path} is damaged (not a Lightning checkpoint: no state_dict)")
    return {"epoch": state.get("epoch", "?"), "global_step": state.get("global_step", "?")}


def check_resumable(path: Path, resume_command: Callable[[Path], str]) -> dict[str, Any]:
    """:func:`read_counters` of ``path``; if it is damaged, one line naming the intact checkpoints beside it and
    ``resume_command(newest intact one)`` (or ``--fresh`` when there is none)."""
    try:
        return read_counters(path)
    except DamagedCheckpointError as err:
        intact = []
        for other in sorted(path.parent.glob("*.ckpt"), key=lambda p: p.stat().st_mtime_ns, reverse=True):
            if other != path:
                try:
                    intact.append((other, read_counters(other)))
                except DamagedCheckpointError:
                    continue
        if not intact:
            raise DamagedCheckpointError(f"{err}; no intact checkpoint beside it: start again with --fresh (the run "
                                         "folder is moved aside, not deleted)") from None
        listed = ", ".join(f"{p.name} (epoch {c['epoch']}, step {c['global_step']})" for p, c in intact)
        raise DamagedCheckpointError(f"{err}; intact checkpoints beside it: {listed}. Resume from one with: "
                                     f"{resume_command(intact[0][0])}") from None


class AtomicCheckpointIO(TorchCheckpointIO):
    """``TorchCheckpointIO`` whose file appears at its path only once completely written."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Any | None = None) -> None:
        with atomic_path(path) as tmp:
            super().save_checkpoint(checkpoint, tmp, storage_options)
