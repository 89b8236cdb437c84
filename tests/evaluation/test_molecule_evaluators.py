import pytest
import torch

from zoo.evaluation import evaluate
from zoo.evaluation.molecules import moleculenet_test_metrics
from zoo.export import export_module
from zoo.registry import create_model


def test_moleculenet_evaluator_recomputes_the_card_metrics(isolated_zoo, data_root, monkeypatch):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    torch.manual_seed(0)
    net = create_model("nfp", hidden_channels=8, num_layers=2, fingerprint_dim=8, mlp_hidden=8).eval()
    net.target_mean.fill_(-3.0)
    expected = moleculenet_test_metrics(net, "esol", "nfp", "random", 0, str(data_root))
    meta = {"id": "nfp-tiny", "method": "NFP", "paper": "Duvenaud et al. 2015", "task": "graph-regression",
            "dataset": "ESOL", "split": "random", "reproduce": {"recipe": "recipes/nfp/esol.yaml"}, "evaluator": "moleculenet-regression",
            "metrics": [{"name": "test_rmse", "value": expected["test_rmse"], "higher_is_better": False}],
            "extra": {"dataset": "esol", "featurizer": "nfp", "split": "random", "split_seed": 0}}
    export_module(net, "nfp", {"hidden_channels": 8, "num_layers": 2, "fingerprint_dim": 8, "mlp_hidden": 8}, meta)
    measured = evaluate("nfp-tiny")
    assert measured["test_rmse"] == pytest.approx(expected["test_rmse"], rel=1e-5)
    assert 0 < measured["test_mae"] < measured["test_rmse"]



def test_zoo_eval_shows_loading_and_predicting_as_stages_in_a_log(data_root, capfd):
    torch.manual_seed(0)
    net = create_model("nfp", hidden_channels=8, num_layers=2, fingerprint_dim=8, mlp_hidden=8).eval()
    quiet = moleculenet_test_metrics(net, "esol", "nfp", "random", 0, str(data_root))
    assert capfd.readouterr().err == ""  # silent unless asked (the benchmarks call it in loops)
    shown = moleculenet_test_metrics(net, "esol", "nfp", "random", 0, str(data_root), progress=True)
    out, err = capfd.readouterr()
    assert shown == quiet and out == "" and "\r" not in err
    lines = err.splitlines()
    assert len(lines) == 4 and lines[0] == "esol: reading and featurising (nfp) ..."
    assert lines[1].startswith("esol: reading and featurising (nfp): done in ")
    assert lines[2].startswith("esol: predicting the test split: ") and lines[2].endswith(" mol ...")
    count = lines[2].split(": ")[-1].split()[0]  # every test molecule is counted
    assert lines[3].startswith(f"esol: predicting the test split: done, {count} mol in ")
