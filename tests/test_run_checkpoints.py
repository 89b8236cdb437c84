"""zoo.run_checkpoints: which checkpoint a run resumes from, and damaged ones named with the intact ones."""

import os

import pytest
import torch

from zoo.run_checkpoints import DamagedCheckpointError, check_resumable, last_checkpoint


def save(path, step, mtime):
    torch.save({"state_dict": {}, "epoch": step - 1, "global_step": step}, path)
    os.utime(path, ns=(mtime, mtime))
    return path


def test_the_last_checkpoint_lightning_wrote_is_followed_past_a_stale_last_ckpt(tmp_path):
    assert last_checkpoint(tmp_path) == tmp_path / "last.ckpt"  # none yet: where the first one goes
    save(tmp_path / "last.ckpt", 2, 10**18)
    newest = save(tmp_path / "last-v1.ckpt", 5, 10**18 + 2)  # what a recipe's own versioning callback wrote
    save(tmp_path / "last-backup.ckpt", 9, 10**18 + 9)  # not a name Lightning gives a last checkpoint
    assert last_checkpoint(tmp_path) == newest


def test_a_damaged_checkpoint_without_intact_siblings_says_to_start_again(tmp_path):
    damaged = tmp_path / "last.ckpt"
    damaged.write_bytes(b"PK\x03\x04 cut short")
    with pytest.raises(DamagedCheckpointError, match="last.ckpt is damaged .*no intact checkpoint beside it: start "
                                                     "again with --fresh"):
        check_resumable(damaged, lambda ckpt: f"resume {ckpt}")
    save(tmp_path / "epoch=3-step=4.ckpt", 4, 10**18)
    with pytest.raises(DamagedCheckpointError, match=r"epoch=3-step=4.ckpt \(epoch 3, step 4\)\. Resume from one "
                                                     r"with: resume .*epoch=3-step=4.ckpt$"):
        check_resumable(damaged, lambda ckpt: f"resume {ckpt}")
    assert check_resumable(tmp_path / "epoch=3-step=4.ckpt", str) == {"epoch": 3, "global_step": 4}
