"""zoo.data.step_bundles: training batches in bundles of k, for systems that take several optimiser steps per
Lightning step."""

from types import SimpleNamespace

import pytest
import torch
from torch.utils.data import DataLoader

from zoo.data.step_bundles import StepBundle, StepBundles, check_steps_per_execution, training_batches
from zoo.data.device import on_device


def test_bundles_keep_every_batch_in_order_and_count_the_short_last_one():
    loader = DataLoader(torch.arange(10), batch_size=2)  # 5 batches
    bundles = list(StepBundles(loader, 2))
    assert len(StepBundles(loader, 2)) == len(bundles) == 3
    assert all(isinstance(b, StepBundle) for b in bundles)
    assert [len(b) for b in bundles] == [2, 2, 1]
    assert torch.equal(torch.cat([x for b in bundles for x in b]), torch.arange(10))


def test_the_training_loader_comes_in_bundles_of_the_trained_modules_steps_per_execution():
    loader = DataLoader(torch.arange(6), batch_size=1)
    trainer_of = (lambda module: SimpleNamespace(lightning_module=module))
    bundled = training_batches(loader, trainer_of(SimpleNamespace(steps_per_execution=3)))
    assert isinstance(bundled, StepBundles) and [len(b) for b in bundled] == [3, 3]
    assert training_batches(loader, trainer_of(SimpleNamespace(steps_per_execution=1))) is loader
    assert training_batches(loader, trainer_of(SimpleNamespace())) is loader  # a system without the option
    assert training_batches(loader, trainer_of(None)) is loader  # a trainer not fitting yet
    assert training_batches(loader, None) is loader  # no trainer: bench's plain loop, a datamodule on its own


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "4"])
def test_steps_per_execution_must_be_a_positive_whole_number(bad):
    with pytest.raises(ValueError, match="steps_per_execution"):
        check_steps_per_execution(bad)


def test_a_bundle_is_on_a_device_when_all_its_batches_are():
    cpu = torch.device("cpu")
    assert on_device(StepBundle([torch.zeros(2), torch.ones(2)]), cpu)
    assert not on_device(StepBundle([torch.zeros(2), "not a tensor"]), cpu)
