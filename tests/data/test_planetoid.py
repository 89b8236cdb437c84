import pytest

from zoo.data.planetoid import PlanetoidDataModule, load_planetoid
from zoo.data.root import DataNotFoundError, data_root


def test_public_split_sizes(data_root):
    data = load_planetoid("cora", data_root)
    assert (data.num_nodes, data.num_features) == (2708, 1433)
    assert (int(data.train_mask.sum()), int(data.val_mask.sum()), int(data.test_mask.sum())) == (140, 500, 1000)
    assert data.x.sum(-1).max() <= 1.0 + 1e-5  # row-normalised features


def test_citeseer_through_the_datamodule(data_root):
    dm = PlanetoidDataModule("CiteSeer", root=str(data_root))
    assert (dm.num_features, dm.num_classes) == (3703, 6)


def test_missing_data_names_the_expected_path(tmp_path, monkeypatch):
    import urllib.request

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DataNotFoundError, match=f"expected {tmp_path}/Planetoid/Cora/raw/ind.cora"):
        load_planetoid("Cora", tmp_path)


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown Planetoid dataset 'Coraa'"):
        load_planetoid("Coraa")


def test_data_root_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("ZOO_DATA_ROOT", str(tmp_path))
    assert data_root() == tmp_path
    assert data_root("/elsewhere") == data_root("/elsewhere")
    monkeypatch.delenv("ZOO_DATA_ROOT")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert data_root() == tmp_path / "zoo" / "data"
