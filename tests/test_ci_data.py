"""Under CI (``CI=true``) a missing data root fails the run; locally the real-data tests skip."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import require_data_root

REPO = Path(__file__).resolve().parents[1]


def test_a_ci_session_without_the_data_root_stops_at_once(tmp_path):
    (tmp_path / "test_real.py").write_text("def test_needs_data(data_root):\n    assert data_root.is_dir()\n")
    env = {**os.environ, "ZOO_DATA_ROOT": str(tmp_path / "no-data"), "CI": "true", "PYTHONPATH": str(REPO / "tests")}
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "conftest",
                             "--rootdir", str(tmp_path), str(tmp_path / "test_real.py")],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode != 0 and "CI is set but the real data root" in result.stdout + result.stderr


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception)],
                         ids=["ci", "local"])
def test_a_real_data_test_fails_under_ci_and_skips_locally(tmp_path, monkeypatch, ci, outcome):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(tmp_path / "no-data"))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="real data not found"):
        require_data_root()
