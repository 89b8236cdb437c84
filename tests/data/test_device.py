"""Device-resident loaders: the same batches as PyG's / torch's collation, made without a DataLoader."""

import pytest
import torch
from torch_geometric.data import Batch, Data

from zoo.data.device import DeviceGraphLoader, DeviceImageLoader


def _graphs(n=23, seed=0):
    g = torch.Generator().manual_seed(seed)
    graphs = []
    for i in range(n):
        nodes = int(torch.randint(1, 7, (1,), generator=g))
        edges = int(torch.randint(0, 9, (1,), generator=g))
        graphs.append(Data(x=torch.randn(nodes, 5, generator=g), z=torch.randint(1, 9, (nodes,), generator=g),
                           pos=torch.randn(nodes, 3, generator=g),
                           edge_index=torch.randint(0, nodes, (2, edges), generator=g),
                           edge_attr=torch.randn(edges, 4, generator=g), y=torch.tensor([[float(i), -i]]),
                           idx=torch.tensor([i])))
    return graphs


def test_graph_batches_equal_pyg_collation_of_the_same_graphs():
    graphs = _graphs()
    loader = DeviceGraphLoader(graphs, batch_size=4, shuffle=True, seed=3)
    ids = torch.tensor([7, 0, 19, 3, 3, 22])
    ours, theirs = loader.batch_of(ids), Batch.from_data_list([graphs[i] for i in ids])
    assert ours.num_graphs == theirs.num_graphs == 6
    for key in ("x", "z", "pos", "edge_index", "edge_attr", "y", "idx", "batch", "ptr"):
        assert torch.equal(ours[key], theirs[key]), key


def test_graph_loader_covers_every_graph_once_per_epoch_and_reshuffles():
    graphs = _graphs(n=23)
    loader = DeviceGraphLoader(graphs, batch_size=5, shuffle=True, drop_last=False, seed=1)
    assert len(loader) == 5
    first = torch.cat([b.idx for b in loader])
    second = torch.cat([b.idx for b in loader])
    assert sorted(first.tolist()) == list(range(23)) == sorted(second.tolist())
    assert not torch.equal(first, second)  # epoch 2 has its own order


def test_image_loader_gives_unit_range_batches_of_the_dataset():
    images = torch.arange(10 * 1 * 2 * 2, dtype=torch.int64).remainder(256).to(torch.uint8).view(10, 1, 2, 2)
    loader = DeviceImageLoader(images, batch_size=3, shuffle=True, drop_last=True, seed=0)
    batches = list(loader)
    assert len(batches) == len(loader) == 3
    assert all(b.shape == (3, 1, 2, 2) and b.dtype == torch.float32 for b in batches)
    assert torch.all(batches[0] >= -1) and torch.all(batches[0] <= 1)
    restored = torch.cat(batches).add(1).mul(127.5).round().to(torch.uint8)
    originals = {tuple(im.flatten().tolist()) for im in images}
    assert all(tuple(r.flatten().tolist()) in originals for r in restored)
    assert len({tuple(r.flatten().tolist()) for r in restored}) == 9  # no image twice in an epoch


def test_loaders_reject_bad_input():
    with pytest.raises(ValueError, match="uint8"):
        DeviceImageLoader(torch.zeros(4, 1, 2, 2), batch_size=2)
    with pytest.raises(ValueError, match="batch_size"):
        DeviceGraphLoader(_graphs(3), batch_size=0)
    with pytest.raises(ValueError, match="no graphs"):
        DeviceGraphLoader([], batch_size=2)


# ---- the device-resident path through `zoo train` (on the CPU here; the same code runs on a GPU) ----

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
FAST = ["--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false", "--trainer.logger=false"]


@pytest.mark.parametrize("recipe", ["recipes/mpnn/debug.yaml", "recipes/nfp/debug.yaml", "recipes/gan/debug.yaml"])
def test_recipes_train_with_device_resident_data(recipe, data_root, tmp_path, monkeypatch):
    from zoo.training import fit

    monkeypatch.setenv("ZOO_DATA_ROOT", str(data_root))
    monkeypatch.chdir(tmp_path)
    run = fit(REPO / recipe, ["--data.init_args.device_resident=true", *FAST], verbose=False,
              test=False)  # the test pass would replace the loader under inspection
    loader = run.trainer.train_dataloader
    assert type(loader).__name__ in ("DeviceGraphLoader", "DeviceImageLoader")
    assert run.trainer.global_step > 0
    state = torch.load(run.last_checkpoint, weights_only=True)["state_dict"]
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_resident_batches_pass_through_and_others_are_moved():
    from lightning.pytorch import LightningDataModule

    from zoo.data.device import ResidentBatches, on_device

    class DM(ResidentBatches, LightningDataModule):
        pass

    dm, cpu, meta = DM(), torch.device("cpu"), torch.device("meta")
    batch = Batch.from_data_list(_graphs(3))
    assert dm.transfer_batch_to_device(batch, cpu, 0) is batch  # already there: no walk, no copy
    tensor = torch.zeros(2)
    assert dm.transfer_batch_to_device(tensor, cpu, 0) is tensor
    moved = dm.transfer_batch_to_device(batch.clone(), meta, 0)  # elsewhere: Lightning's default moves it
    assert moved.x.device == meta and moved.edge_index.device == meta and batch.x.device == cpu
    mixed = batch.clone()
    mixed.y = mixed.y.to(meta)
    assert not on_device(mixed, cpu) and not on_device(mixed, meta)
    assert not on_device({"x": tensor}, cpu)  # unknown containers are left to Lightning
