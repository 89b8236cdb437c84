"""Every user-facing command answers a fault with one line on stderr and exit code 2, never a traceback."""

import pytest
import torch

from zoo import cli
from zoo.callbacks import NonFiniteLossError


def run(capsys, *argv):
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str, command: str) -> bool:
    return err.count("\n") == 1 and err.startswith(f"zoo {command}: error: ") and "Traceback" not in err


def http_error(status):
    import httpx
    from huggingface_hub.errors import HfHubHTTPError

    request = httpx.Request("GET", "http://hub.test/api")
    return HfHubHTTPError(f"{status} error\nfor url http://hub.test/api",
                          response=httpx.Response(status, request=request))


@pytest.mark.parametrize("error, says", [
    (PermissionError(13, "Permission denied", "/srv/out.png"), "permission denied: /srv/out.png"),
    (IsADirectoryError(21, "Is a directory", "/tmp"), "/tmp is a folder, not a file"),
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB"), "out of memory"),
    (MemoryError(), "out of memory"),
    (NonFiniteLossError("the training loss is nan at epoch 3"), "the training loss is nan"),
    (ConnectionError("connection refused"), "connection refused"),
], ids=["permission", "is-a-directory", "cuda-oom", "memory", "non-finite-loss", "connection"])
def test_environment_faults_are_one_line_errors(capsys, monkeypatch, error, says):
    def failing(args):
        raise error

    monkeypatch.setattr(cli, "cmd_info", failing)
    code, _, err = run(capsys, "info", "gcn-cora")
    assert code == 2 and one_line_error(err, "info") and says in err


def test_http_errors_are_one_line_errors(capsys, monkeypatch):
    def failing(args):
        raise http_error(502)

    monkeypatch.setattr(cli, "cmd_info", failing)
    code, _, err = run(capsys, "info", "gcn-cora")
    assert code == 2 and one_line_error(err, "info") and "502 error for url" in err


def test_a_bug_keeps_its_traceback(monkeypatch):
    def buggy(args):
        raise KeyError("internal")

    monkeypatch.setattr(cli, "cmd_info", buggy)
    with pytest.raises(KeyError):
        cli.main(["info", "gcn-cora"])


def test_a_value_error_from_another_library_is_a_bug_and_keeps_its_traceback(monkeypatch):
    """Only the zoo's own refusals are one line: a ValueError raised inside json (here), torch or numpy is a bug."""
    import json

    monkeypatch.setattr(cli, "cmd_info", lambda args: json.loads("{"))
    with pytest.raises(json.JSONDecodeError):
        cli.main(["info", "gcn-cora"])


def test_a_value_error_the_zoo_raises_is_a_one_line_error(capsys):
    code, _, err = run(capsys, "sample", "gcn-cora")  # not a generative model: zoo.cli refuses it
    assert code == 2 and one_line_error(err, "sample") and "not a generative model" in err


@pytest.mark.parametrize("n", ["-1", "0", "many"])
def test_sample_refuses_a_count_that_is_not_positive(capsys, n):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["sample", "aae-moses", "--n", n])
    assert exit_info.value.code == 2 and "expected a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize("model_id", ["aae-moses", "aae-20news", "gan-mnist"])
def test_sample_methods_refuse_a_count_that_is_not_positive(model_id):
    import zoo

    with pytest.raises(ValueError, match="positive integer"):
        zoo.load(model_id).sample(-1, seed=0)


def test_sample_streams_text_in_batches_and_writes_atomically(capsys, tmp_path):
    import zoo

    model = zoo.load("aae-20news")
    batches = list(model.sample_batches(2500, seed=0))
    assert [b.shape[0] for b in batches] == [1000, 1000, 500]  # never more than one batch decoded at once
    torch.testing.assert_close(torch.cat(batches), model.sample(2500, seed=0))
    code, out, _ = run(capsys, "sample", "aae-20news", "--n", "2500", "--out", str(tmp_path / "docs.txt"))
    assert code == 0 and "wrote 2500 samples" in out
    assert len((tmp_path / "docs.txt").read_text().splitlines()) == 2500
    code, _, err = run(capsys, "sample", "aae-20news", "--n", "3", "--out", str(tmp_path))
    assert code == 2 and one_line_error(err, "sample") and f"{tmp_path} is a folder" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs.txt"]  # no temporary left behind


def test_an_image_grid_too_large_to_write_is_refused(capsys):
    code, _, err = run(capsys, "sample", "gan-mnist", "--n", "100000")
    assert code == 2 and one_line_error(err, "sample") and "--n <= 4096" in err


def test_predict_reports_a_bad_smiles_on_its_line_and_predicts_the_others(capsys):
    long_chain = "C" * 120
    code, out, _ = run(capsys, "predict", "nfp-esol", "--smiles", "CCO", "C1CC", "[Na+].[Cl-]", "C[N+](C)(C)C",
                       long_chain)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 5
    assert lines[0].startswith("CCO\tlog_solubility = ") and "warning" not in lines[0]
    assert lines[1] == "C1CC\terror: RDKit cannot parse the SMILES 'C1CC'"
    assert "warning: 2 fragments (a salt or mixture)" in lines[2]
    assert "warning: an ion (net charge +1)" in lines[3]
    assert "warning: 120 heavy atoms, outside the training range 1-55" in lines[4]
    code, _, err = run(capsys, "predict", "nfp-esol", "--smiles", "C1CC")
    assert code == 2 and one_line_error(err, "predict")


def test_an_entry_naming_an_unknown_evaluator_is_a_one_line_error(capsys, monkeypatch):
    import dataclasses

    from zoo import registry

    real = registry.get_pretrained_cfg

    def with_bad_evaluator(model_id):
        return dataclasses.replace(real(model_id), evaluator="no-such-evaluator")

    monkeypatch.setattr(registry, "get_pretrained_cfg", with_bad_evaluator)
    code, _, err = run(capsys, "eval", "gcn-cora")
    assert code == 2 and one_line_error(err, "eval") and "no evaluator named 'no-such-evaluator'" in err


def test_an_unwritable_output_path_is_named_as_given(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    code, _, err = run(capsys, "sample", "gan-mnist", "--n", "2", "--out", str(tmp_path / "file" / "grid.png"))
    assert code == 2 and one_line_error(err, "sample") and f"{tmp_path / 'file' / 'grid.png'}" in err
    assert ".tmp-" not in err


def test_a_real_out_of_memory_is_one_line(tmp_path):
    """`zoo sample` under a real address-space limit (``ulimit -v``), set in the child by ``setrlimit``: PyTorch's
    CPU allocator then raises a RuntimeError (not MemoryError), which must still be one line, with no file left."""
    import os
    import resource
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    warm = "import zoo.cli, zoo; zoo.load('wgan-gp-celeba'); print(open('/proc/self/status').read())"
    status = subprocess.run([sys.executable, "-c", warm], cwd=repo, env=env, capture_output=True, text=True,
                            timeout=120, check=True).stdout
    loaded = int(status.split("VmPeak:")[1].split()[0]) * 1024  # the address space a loaded generator needs
    limit = loaded + 96 * 2**20  # 4,096 64x64 samples need over 200 MB more (the grid alone is 201 MB of floats)

    def cap_address_space():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    out = tmp_path / "grid.png"
    result = subprocess.run([sys.executable, "-m", "zoo.cli", "sample", "wgan-gp-celeba", "--n", "4096", "--out",
                             str(out)], cwd=repo, env=env, preexec_fn=cap_address_space, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode == 2 and one_line_error(result.stderr, "sample"), result.stderr[-2000:]
    assert "out of memory (DefaultCPUAllocator: can't allocate memory" in result.stderr
    assert list(tmp_path.iterdir()) == []
