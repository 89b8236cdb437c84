"""zoo.data.bundles: training batches in bundles of k, for systems that take several optimiser steps per
Lightning step."""

import pytest
import torch
from torch.utils.data import DataLoader

from zoo.data.bundles import StepBundle, StepBundles, bundle_training_batches, check_steps_per_execution
from zoo.data.device import on_device


def test_bundles_keep_every_batch_in_order_and_count_the_short_last_one():
    loader = DataLoader(torch.arange(10), batch_size=2)  # 5 batches
    bundles = list(StepBundles(loader, 2))
    assert len(StepBundles(loader, 2)) == len(bundles) == 3
    assert all(isinstance(b, StepBundle) for b in bundles)
    assert [len(b) for b in bundles] == [2, 2, 1]
    assert torch.equal(torch.cat([x for b in bundles for x in b]), torch.arange(10))


def test_a_datamodule_is_bundled_once_and_can_be_unbundled():
    class DM:
        def train_dataloader(self):
            return DataLoader(torch.arange(6), batch_size=1)

    dm = DM()
    bundle_training_batches(dm, 3)
    bundle_training_batches(dm, 2)  # a second fit with another k re-bundles the original loader
    assert [len(b) for b in dm.train_dataloader()] == [2, 2, 2]
    bundle_training_batches(dm, 1)
    assert isinstance(dm.train_dataloader(), DataLoader)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "4"])
def test_steps_per_execution_must_be_a_positive_whole_number(bad):
    with pytest.raises(ValueError, match="steps_per_execution"):
        check_steps_per_execution(bad)


def test_a_bundle_is_on_a_device_when_all_its_batches_are():
    cpu = torch.device("cpu")
    assert on_device(StepBundle([torch.zeros(2), torch.ones(2)]), cpu)
    assert not on_device(StepBundle([torch.zeros(2), "not a tensor"]), cpu)
