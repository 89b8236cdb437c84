"""Shared fixtures. Tests never touch the network or W&B servers; real-data tests read the data root."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("WANDB_MODE", "disabled")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("ZOO_DATA_DOWNLOAD", "0")  # no download on a loader's first use (data/test_download.py)

# Tests write only to temporary folders: every cache and config folder the zoo and its libraries would put
# under ~ (processed data, FID features, Hugging Face, W&B, matplotlib, torch) goes to one folder for the
# session, set before anything reads these variables and removed when the session ends.
_SCRATCH = tempfile.mkdtemp(prefix="zoo-tests-")
atexit.register(shutil.rmtree, _SCRATCH, ignore_errors=True)
for _var, _sub in [("ZOO_CACHE_DIR", "zoo"), ("XDG_CACHE_HOME", "xdg"), ("HF_HOME", "hf"),
                   ("HF_HUB_CACHE", "hf/hub"), ("WANDB_DIR", "wandb"), ("WANDB_CACHE_DIR", "wandb/cache"),
                   ("WANDB_CONFIG_DIR", "wandb/config"), ("WANDB_DATA_DIR", "wandb/data"),
                   ("MPLCONFIGDIR", "matplotlib"), ("TORCH_HOME", "torch")]:
    os.environ[_var] = os.path.join(_SCRATCH, _sub)

REPO = Path(__file__).resolve().parents[1]

# The README's command passes a relative root (../shared/data); tests that chdir into a tmp folder must still
# find it, so pin it to an absolute path once, before any test moves.
if os.environ.get("ZOO_DATA_ROOT"):
    os.environ["ZOO_DATA_ROOT"] = str(Path(os.environ["ZOO_DATA_ROOT"]).expanduser().resolve())


def _real_data_root() -> Path:
    return Path(os.environ.get("ZOO_DATA_ROOT") or REPO.parent / "shared" / "data")


def in_ci() -> bool:
    """CI services set ``CI=true``; there a missing data root is a failure, not a reason to skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def pytest_sessionstart(session: pytest.Session) -> None:
    root = _real_data_root()
    if in_ci() and not root.is_dir():
        pytest.exit(f"CI is set but the real data root {root} does not exist: set ZOO_DATA_ROOT to the shared "
                    "data (the README's Data section) so the real-data tests run instead of skipping", returncode=1)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real datasets: ``$ZOO_DATA_ROOT`` (CI sets it to ../shared/data), else ../shared/data if present."""
    return require_data_root()


def require_data_root() -> Path:
    """The data root; locally a missing one skips the real-data tests, under CI (``CI=true``) it fails them."""
    root = _real_data_root()
    if not root.is_dir():
        message = f"real data not found at {root}; set ZOO_DATA_ROOT"
        if in_ci():
            pytest.fail(message + " (CI must not skip the real-data tests)")
        pytest.skip(message)
    return root


@pytest.fixture
def isolated_zoo(tmp_path, monkeypatch):
    """A private checkpoints/ and registry folder, so tests can export without touching the shipped ones."""
    ckpts = tmp_path / "checkpoints"
    registry = tmp_path / "pretrained"
    ckpts.mkdir()
    registry.mkdir()
    monkeypatch.setenv("ZOO_CHECKPOINTS", str(ckpts))
    monkeypatch.setenv("ZOO_PRETRAINED_DIR", str(registry))
    return tmp_path


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    """Small tensors on a shared 2-core machine: one intra-op thread is up to ~30x faster than spinning threads."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
