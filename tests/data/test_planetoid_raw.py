"""zoo.data.planetoid_raw: the raw files read through the restricted unpickler give exactly PyG's graph."""

import pytest
import torch


@pytest.mark.parametrize("name", ["Cora", "CiteSeer"])
def test_the_raw_files_give_the_graph_pyg_builds(data_root, name):
    from torch_geometric.io.planetoid import read_planetoid_data  # PyG's own reader unpickles: the shared data only

    from zoo.data.planetoid_raw import read_planetoid

    raw = data_root / "Planetoid" / name / "raw"
    ours, theirs = read_planetoid(raw, name), read_planetoid_data(str(raw), name)
    for key in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
        assert ours[key].dtype == theirs[key].dtype and torch.equal(ours[key], theirs[key]), key


def test_a_forged_feature_shape_is_refused_before_it_is_allocated(tmp_path):
    import pickle

    import scipy.sparse

    from zoo.data.planetoid_raw import read_field
    from zoo.io import UnsafeFileError

    with open(tmp_path / "ind.cora.x", "wb") as f:
        pickle.dump(scipy.sparse.csr_matrix((10**6, 10**6), dtype="float32"), f, protocol=2)
    with pytest.raises(UnsafeFileError, match=r"1000000 x 1000000 feature matrix is over 100,000,000 entries"):
        read_field(tmp_path, "cora", "x")
