"""bench/throughput.py's FLOP counter: torch's formulas, counted at the dispatcher, double backward included."""

import torch

from bench.throughput import FAMILIES, MatmulFlops


def test_matmul_flops_are_counted_exactly():
    a, b = torch.randn(8, 16), torch.randn(16, 4)
    with MatmulFlops() as counter:
        a @ b
    assert counter.total == 2 * 8 * 16 * 4


def test_double_backward_of_a_penalty_is_counted():
    from zoo.losses import gradient_penalty
    from zoo.registry import create_model

    critic = create_model("dcgan_discriminator", image_size=28, channels=1, base_width=4, norm="layer")
    real, fake = torch.randn(2, 1, 28, 28), torch.randn(2, 1, 28, 28)
    with MatmulFlops() as forward_only:
        critic(real)
    with MatmulFlops() as with_penalty:
        gradient_penalty(critic, real, fake).backward()
    assert with_penalty.total > 3 * forward_only.total  # forward, its backward, and the backward of that


def test_every_family_names_a_recipe_that_exists():
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    assert {f.name for f in FAMILIES} >= {"dcgan28-gan", "dcgan64-wgan-gp", "gcn", "nfp", "mpnn", "smiles-aae"}
    assert all((repo / f.recipe).is_file() for f in FAMILIES)


def test_paired_blocks_alternate_zoo_and_plain_steps_and_count_bundled_steps():
    """Each zoo block is followed by as many plain steps as the block had; a bundle counts its batches."""
    from types import SimpleNamespace

    from bench.throughput import PairedBlocks
    from zoo.data.step_bundles import StepBundle

    ticks, plain_steps = iter(range(1000)), []
    paired = PairedBlocks(lambda: plain_steps.append(1), warmup=2, steps=3, blocks=2, clock=lambda: next(ticks))
    trainer, module = SimpleNamespace(should_stop=False), SimpleNamespace(device=torch.device("cpu"))
    batches = [StepBundle([0, 0])] * 8  # 2 optimiser steps per Lightning step
    for i, batch in enumerate(batches):
        paired.on_train_batch_start(trainer, module, batch, i)
        if trainer.should_stop:
            break
    assert len(paired.zoo) == len(paired.plain) == 2
    assert len(plain_steps) == 8  # blocks close at the first batch boundary after 3 steps: 4 steps each
    assert all(t > 0 for t in paired.zoo + paired.plain)
