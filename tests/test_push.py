"""``zoo push`` and ``zoo.load`` against a real HTTP Hub on 127.0.0.1 (tests/hub_server.py), not a mock.

The unmodified ``huggingface_hub`` client uploads the checkpoint folder, the registry pins the commit it gets
back, and loading downloads exactly that revision into a private HF cache, checks the sha256, and keeps
working offline.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hub_server import HubServer, point_client_at

import zoo
from zoo.export import export_module
from zoo.hub import CheckpointError, checkpoints_dir
from zoo.push import PushError, push
from zoo.registry import create_model, get_pretrained_cfg

REPO = Path(__file__).resolve().parents[1]
MODEL_ID = "gcn-pushed"
REPO_ID = "zoo-test/gcn-pushed"
ARGS = {"in_channels": 5, "out_channels": 3, "hidden_channels": 4}
META = {
    "id": MODEL_ID, "method": "GCN", "paper": "Kipf & Welling 2017", "task": "node-classification",
    "dataset": "Tiny", "split": "all", "reproduce": {"recipe": "recipes/gcn/cora.yaml"},
    "metrics": [{"name": "test_accuracy", "value": 50.0, "unit": "%", "command": "python -c pass"}],
}
FILES = ["README.md", "config.json", "model.safetensors"]


@pytest.fixture
def hub(tmp_path, monkeypatch):
    with HubServer() as server:
        point_client_at(monkeypatch, server.endpoint, tmp_path / "hf-home")
        yield server
    assert not server.unhandled, f"the client called endpoints the test Hub lacks: {server.unhandled}"


@pytest.fixture
def exported(isolated_zoo):
    torch.manual_seed(0)
    net = create_model("gcn", **ARGS).eval()
    export_module(net, "gcn", ARGS, META)
    return net


def outputs(model):
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(6, 5, generator=generator)
    edge_index = torch.randint(0, 6, (2, 10), generator=generator)
    return model(x, edge_index)


def test_push_pins_the_revision_and_load_downloads_it_then_works_offline(hub, exported, tmp_path,
                                                                         monkeypatch):
    # The CLI in a fresh process: only the environment points it at the test Hub (nothing patched there).
    result = subprocess.run([sys.executable, "-m", "zoo.cli", "push", MODEL_ID, "--repo-id", REPO_ID],
                            cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=120,
                            check=False)
    assert result.returncode == 0, result.stderr
    pushed = hub.repos[REPO_ID]
    revision = pushed.main
    assert revision in result.stdout and len(revision) == 40
    api = f"/api/models/{REPO_ID}"
    assert hub.calls == [("POST", "/api/repos/create"), ("POST", "/api/validate-yaml"),
                         ("POST", f"{api}/preupload/main"), ("POST", f"{api}/commit/main")]

    # The Hub holds the folder byte for byte, and the registry pins that commit.
    local = checkpoints_dir() / MODEL_ID
    assert pushed.commits[revision] == {name: (local / name).read_bytes() for name in FILES}
    cfg = get_pretrained_cfg(MODEL_ID)
    assert (cfg.hf_hub_id, cfg.revision) == (REPO_ID, revision)

    # Without the local folder, load() downloads the pinned revision into the test's HF cache.
    shutil.rmtree(local)
    torch.testing.assert_close(outputs(zoo.load(MODEL_ID)), outputs(exported))
    snapshot = tmp_path / "hf-home" / "hub" / "models--zoo-test--gcn-pushed" / "snapshots" / revision
    assert sorted(p.name for p in snapshot.iterdir()) == ["config.json", "model.safetensors"]
    assert ("GET", f"/{REPO_ID}/resolve/{revision}/model.safetensors") in hub.calls
    torch.testing.assert_close(outputs(zoo.load(f"hf-hub:{REPO_ID}")), outputs(exported))
    torch.testing.assert_close(outputs(zoo.load(f"hf-hub:{REPO_ID}@{revision}")), outputs(exported))

    # Offline, both spellings load from the cache without a single request.
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # read once at import, like HF_ENDPOINT
    calls_before = len(hub.calls)
    torch.testing.assert_close(outputs(zoo.load(MODEL_ID)), outputs(exported))
    torch.testing.assert_close(outputs(zoo.load(f"hf-hub:{REPO_ID}")), outputs(exported))
    assert len(hub.calls) == calls_before
    with pytest.raises(CheckpointError, match="could not get config.json of Hub repo 'zoo-test/not-cached'"):
        zoo.load("hf-hub:zoo-test/not-cached")


def test_a_repo_or_revision_the_hub_does_not_have_is_a_checkpoint_error(hub, isolated_zoo):
    with pytest.raises(CheckpointError, match="could not get config.json of Hub repo 'zoo-test/missing'"):
        zoo.load("hf-hub:zoo-test/missing")
    hub.create_repo(b'{"name": "empty", "organization": "zoo-test"}')
    with pytest.raises(CheckpointError, match=r"revision 0{40}"):
        zoo.load("hf-hub:zoo-test/empty@" + "0" * 40)
    assert ("HEAD", "/zoo-test/missing/resolve/main/config.json") in hub.calls


def test_weights_the_hub_altered_after_the_push_fail_the_sha256_check(hub, exported):
    revision = push(MODEL_ID, REPO_ID)
    shutil.rmtree(checkpoints_dir() / MODEL_ID)
    files = hub.repos[REPO_ID].commits[revision]
    weights = bytearray(files["model.safetensors"])
    weights[-1] ^= 0xFF  # the last float changes; the file is still valid safetensors
    files["model.safetensors"] = bytes(weights)
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        zoo.load(MODEL_ID)


def test_pushing_again_keeps_an_unchanged_pin_and_moves_a_changed_one(hub, exported, tmp_path):
    first = push(MODEL_ID, REPO_ID)
    assert push(MODEL_ID, REPO_ID) == first  # nothing changed: no new commit, same pin
    assert list(hub.repos[REPO_ID].commits) == [first]
    # Cache main, so the load after the next push shows that the cache does not go stale.
    torch.testing.assert_close(outputs(zoo.load(f"hf-hub:{REPO_ID}")), outputs(exported))

    torch.manual_seed(1)
    retrained = create_model("gcn", **ARGS).eval()
    export_module(retrained, "gcn", ARGS, META)
    second = push(MODEL_ID, REPO_ID)
    assert second != first and get_pretrained_cfg(MODEL_ID).revision == second
    new_weights = (checkpoints_dir() / MODEL_ID / "model.safetensors").read_bytes()
    assert hub.repos[REPO_ID].commits[second]["model.safetensors"] == new_weights

    shutil.rmtree(checkpoints_dir() / MODEL_ID)
    torch.testing.assert_close(outputs(zoo.load(MODEL_ID)), outputs(retrained))
    # An unpinned load follows the branch (the cached main is not stale); a pin never drifts.
    torch.testing.assert_close(outputs(zoo.load(f"hf-hub:{REPO_ID}")), outputs(retrained))
    torch.testing.assert_close(outputs(zoo.load(f"hf-hub:{REPO_ID}@{first}")), outputs(exported))


def test_only_the_known_files_of_a_checkpoint_folder_are_uploaded(hub, exported):
    folder = checkpoints_dir() / MODEL_ID
    (folder / "samples.png").write_bytes(b"\x89PNG figure")
    (folder / "secrets.env").write_text("HF_TOKEN=hf_do_not_ship")
    (folder / ".last.ckpt").write_bytes(b"optimiser state")
    revision = push(MODEL_ID, REPO_ID)
    assert sorted(hub.repos[REPO_ID].commits[revision]) == sorted(FILES + ["samples.png"])


def test_weights_that_fail_their_sha256_are_not_pushed(hub, exported):
    weights = checkpoints_dir() / MODEL_ID / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        push(MODEL_ID, REPO_ID)
    assert hub.calls == [] and get_pretrained_cfg(MODEL_ID).revision is None


@pytest.mark.parametrize("method, path, status, body, message", [
    ("POST", "/api/repos/create", 401, b'{"error": "Invalid credentials"}', "refused the credentials \\(HTTP 401\\)"),
    ("POST", "/api/repos/create", 403, b'{"error": "forbidden"}', "may not write to zoo-test/gcn-pushed \\(HTTP 403\\)"),
    ("POST", "/api/models/.*/commit/main", 500, b"Internal Server Error", "failed with HTTP 500"),
    ("POST", "/api/models/.*/commit/main", 200, b"<html>not json</html>", "no usable reply from the Hub"),
    ("POST", "/api/models/.*/commit/main", 200, b'{"success": true}', "no usable reply|without a commit id"),
])
def test_hub_failures_are_one_line_errors_and_pin_nothing(hub, exported, monkeypatch, method, path, status, body,
                                                          message):
    import huggingface_hub.utils._http as http

    monkeypatch.setattr(http.time, "sleep", lambda seconds: None)  # the client retries a 5xx with back-off
    hub.inject(method, path, status, body, {"Content-Type": "application/json"})
    if status in (401, 403):  # after a refused create, the client asks whether the repo exists: same answer
        hub.inject("GET", "/api/models/[^/]+/[^/]+", status, body, {"Content-Type": "application/json"})
    with pytest.raises(PushError, match=message) as info:
        push(MODEL_ID, REPO_ID)
    assert "\n" not in str(info.value)
    assert get_pretrained_cfg(MODEL_ID).revision is None


def test_the_cli_prints_one_line_for_a_refused_token(hub, exported, capsys):
    from zoo.cli import main

    hub.inject("POST", "/api/repos/create", 401, b'{"error": "Invalid credentials"}')
    hub.inject("GET", "/api/models/[^/]+/[^/]+", 401, b'{"error": "Invalid credentials"}')
    assert main(["push", MODEL_ID, "--repo-id", REPO_ID]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("zoo push: error: the Hub at") and "Traceback" not in err


@pytest.mark.parametrize("bad_id", ["", ".", "../gcn-pushed", "/tmp/x"])
def test_push_refuses_an_id_that_is_not_a_folder_name(hub, exported, bad_id):
    from zoo.io import InvalidIdError

    with pytest.raises(InvalidIdError, match="invalid model id"):
        push(bad_id, REPO_ID)
    assert hub.calls == []


def test_a_hub_config_that_disagrees_with_its_own_record_is_refused(hub, exported):
    push(MODEL_ID, REPO_ID)
    shutil.rmtree(checkpoints_dir() / MODEL_ID)
    files = hub.repos[REPO_ID].commits[hub.repos[REPO_ID].main]
    config = json.loads(files["config.json"])
    config["model_args"]["hidden_channels"] = 8  # would build another network than the one the record names
    hub.repos[REPO_ID].commits["f" * 40] = {**files, "config.json": json.dumps(config).encode()}
    with pytest.raises(CheckpointError, match="hidden_channels 8 \\(expected 4\\)"):
        zoo.load(f"hf-hub:{REPO_ID}@{'f' * 40}")
    config["pretrained_cfg"]["sha256"] = "0" * 64  # a record that the weights do not match
    config["model_args"]["hidden_channels"] = 4
    hub.repos[REPO_ID].commits["e" * 40] = {**files, "config.json": json.dumps(config).encode()}
    with pytest.raises(CheckpointError, match="sha256 mismatch"):
        zoo.load(f"hf-hub:{REPO_ID}@{'e' * 40}")


def test_an_invalid_repo_id_is_named_as_such(hub, exported):
    with pytest.raises(PushError, match="'bad repo' is not a valid Hub repo id"):
        push(MODEL_ID, "bad repo")


def test_without_a_recorded_sha256_the_hubs_file_metadata_is_checked(hub, exported, tmp_path):
    push(MODEL_ID, REPO_ID)
    files = hub.repos[REPO_ID].commits[hub.repos[REPO_ID].main]
    config = json.loads(files["config.json"])
    del config["pretrained_cfg"]  # a repo in the zoo's layout not written by `zoo export`
    hub.repos[REPO_ID].commits["d" * 40] = {**files, "config.json": json.dumps(config).encode()}
    torch.testing.assert_close(outputs(zoo.load(f"hf-hub:{REPO_ID}@{'d' * 40}")), outputs(exported))
    blobs = tmp_path / "hf-home" / "hub" / "models--zoo-test--gcn-pushed" / "blobs"
    weights = next(b for b in blobs.iterdir() if b.stat().st_size == len(files["model.safetensors"]))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # the cached file no longer has the bytes the Hub named it after
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match the Hub's file metadata"):
        zoo.load(f"hf-hub:{REPO_ID}@{'d' * 40}")


@pytest.fixture
def silent_hub(tmp_path, monkeypatch):
    """An endpoint on 127.0.0.1 that accepts connections (the kernel completes them from the listen backlog) and
    never answers a byte, with the client's limits at 1 s."""
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        point_client_at(monkeypatch, f"http://127.0.0.1:{server.getsockname()[1]}", tmp_path / "hf-home")
        monkeypatch.setenv("HF_HUB_ETAG_TIMEOUT", "1")
        monkeypatch.setenv("HF_HUB_DOWNLOAD_TIMEOUT", "1")
        yield server


def run_cli(*argv, timeout=60):
    """``python -m zoo.cli ARGV`` in a fresh process (so huggingface_hub reads the environment), bounded."""
    import time

    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "zoo.cli", *argv], cwd=REPO, env=os.environ.copy(),
                            capture_output=True, text=True, timeout=timeout, check=False)
    return result, time.monotonic() - start


def test_a_push_to_a_hub_that_never_answers_times_out_in_one_line(silent_hub, exported):
    result, seconds = run_cli("push", MODEL_ID, "--repo-id", REPO_ID, timeout=180)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "did not answer in time (ReadTimeout; connect within HF_HUB_ETAG_TIMEOUT=1 s" in result.stderr
    # bounded, not forever; the margin is for a new process importing torch on a loaded 2-core machine
    assert seconds < 90 and get_pretrained_cfg(MODEL_ID).revision is None


@pytest.mark.parametrize("endpoint", ["silent", "refusing"])
def test_loading_from_an_unreachable_hub_is_one_line_without_retries(silent_hub, monkeypatch, endpoint):
    if endpoint == "refusing":  # nothing listens there: the connection is refused at once
        with __import__("socket").socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    result, seconds = run_cli("sample", "hf-hub:zoo-test/some-gan", "--n", "1")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "could not get config.json of Hub repo 'zoo-test/some-gan'" in result.stderr
    assert "Retry" not in result.stderr and seconds < 20


def test_an_hf_hub_config_asking_for_terabytes_is_refused_before_allocating(hub, exported):
    revision = push(MODEL_ID, REPO_ID)
    files = hub.repos[REPO_ID].commits[revision]
    config = json.loads(files["config.json"])
    for args in (config["model_args"], config["pretrained_cfg"]["model_args"]):  # consistent with its record
        args["hidden_channels"] = 10**11
    hub.repos[REPO_ID].commits["c" * 40] = {**files, "config.json": json.dumps(config).encode()}
    with pytest.raises(CheckpointError, match="hidden_channels = 100,000,000,000 is larger than any model"):
        zoo.load(f"hf-hub:{REPO_ID}@{'c' * 40}")
    for args in (config["model_args"], config["pretrained_cfg"]["model_args"]):
        args["hidden_channels"] = 20_000_000  # every number under the cap, the model 9 x over it
    hub.repos[REPO_ID].commits["b" * 40] = {**files, "config.json": json.dumps(config).encode()}
    with pytest.raises(CheckpointError, match="'gcn' model of 180,000,003 parameters, more than the 100,000,000"):
        zoo.load(f"hf-hub:{REPO_ID}@{'b' * 40}")


def test_a_hub_file_larger_than_a_checkpoint_can_need_is_not_downloaded(hub, exported):
    revision = push(MODEL_ID, REPO_ID)
    files = hub.repos[REPO_ID].commits[revision]
    hub.repos[REPO_ID].commits["a" * 40] = {**files, "config.json": b" " * (2**20 + 1) + files["config.json"]}
    with pytest.raises(CheckpointError, match=r"config.json of Hub repo 'zoo-test/gcn-pushed' is 1,04\d,\d{3} bytes, "
                                              r"more than the 1,048,576 a zoo checkpoint's config.json can need"):
        zoo.load(f"hf-hub:{REPO_ID}@{'a' * 40}")
    assert ("GET", f"/{REPO_ID}/resolve/{'a' * 40}/config.json") not in hub.calls  # asked its size only
