"""hubconf.py: torch.hub.load(<clone>, "<id with _>", source="local") gives what zoo.load(id) gives."""

import importlib.util

import pytest
import torch

import zoo
from zoo.hub import checkpoints_dir
from zoo.registry import list_models

REPO = checkpoints_dir().parent


def _hubconf():
    spec = importlib.util.spec_from_file_location("hubconf_under_test", REPO / "hubconf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_one_documented_entry_point_per_shipped_id():
    hubconf = _hubconf()
    public = {name for name in vars(hubconf) if not name.startswith("_") and callable(getattr(hubconf, name))}
    assert public == {i.replace("-", "_") for i in list_models()}
    assert "torch" in hubconf.dependencies
    assert "zoo.load('wgan-gp-celeba')" in hubconf.wgan_gp_celeba.__doc__


def test_torch_hub_load_local_returns_the_module_zoo_load_returns():
    model = torch.hub.load(str(REPO), "gcn_cora", source="local", verbose=False)
    expected = zoo.load("gcn-cora")
    assert type(model) is type(expected) and not model.training
    got, want = model.state_dict(), expected.state_dict()
    assert got.keys() == want.keys()
    for key in want:
        torch.testing.assert_close(got[key], want[key], rtol=0, atol=0)


def test_pretrained_false_is_the_same_architecture_untrained():
    untrained = torch.hub.load(str(REPO), "gcn_cora", source="local", pretrained=False, verbose=False)
    shipped = zoo.load("gcn-cora")
    shapes = {k: v.shape for k, v in untrained.state_dict().items()}
    assert shapes == {k: v.shape for k, v in shipped.state_dict().items()}
    assert not all(torch.equal(untrained.state_dict()[k], v) for k, v in shipped.state_dict().items())


def test_an_unknown_entry_point_is_refused():
    with pytest.raises(RuntimeError, match="Cannot find callable"):
        torch.hub.load(str(REPO), "gcn_coraa", source="local", verbose=False)
