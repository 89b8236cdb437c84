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
