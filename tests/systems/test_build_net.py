from pathlib import Path

import torch

import zoo
import zoo.systems
from zoo.registry import get_pretrained_cfg
from zoo.systems import build_net


def _same(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_build_net_copies_the_weights_of_init_from():
    cfg = get_pretrained_cfg("gcn-cora")
    assert _same(build_net(cfg.architecture, cfg.model_args, init_from="gcn-cora"), zoo.load("gcn-cora"))
    assert not _same(build_net(cfg.architecture, cfg.model_args), zoo.load("gcn-cora"))


def test_every_system_takes_init_from_through_build_net():
    """init_from is handled in one place: no system module loads weights itself."""
    folder = Path(zoo.systems.__file__).parent
    loaders = [p.name for p in folder.glob("*.py") if p.name != "__init__.py" and "load_state_into" in p.read_text()]
    assert loaders == []
