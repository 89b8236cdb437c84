import math

import pytest
import torch

from zoo.losses import LOSSES, discriminator_loss, generator_loss, get_loss, gradient_penalty


def log_sigmoid(x: float) -> float:
    return -math.log1p(math.exp(-x))


REAL, FAKE = 1.5, -0.5


@pytest.mark.parametrize("name, d_expected, g_expected", [
    ("minimax", -log_sigmoid(REAL) - log_sigmoid(-FAKE), log_sigmoid(-FAKE)),
    ("non_saturating", -log_sigmoid(REAL) - log_sigmoid(-FAKE), -log_sigmoid(FAKE)),
    ("label_smoothing", -0.9 * log_sigmoid(REAL) - 0.1 * log_sigmoid(-REAL) - log_sigmoid(-FAKE),
     -log_sigmoid(FAKE)),
    ("least_squares", 0.5 * (REAL - 1) ** 2 + 0.5 * FAKE ** 2, 0.5 * (FAKE - 1) ** 2),
    ("hinge", max(0, 1 - REAL) + max(0, 1 + FAKE), -FAKE),
    ("wasserstein", FAKE - REAL, -FAKE),
])
def test_losses_match_the_papers_formulas(name, d_expected, g_expected):
    real, fake = torch.full((4,), REAL), torch.full((4,), FAKE)
    assert discriminator_loss(name, real, fake).item() == pytest.approx(d_expected, rel=1e-5)
    assert generator_loss(name, fake).item() == pytest.approx(g_expected, rel=1e-5)


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_argument_order_is_real_then_fake(name):
    # A discriminator that scores reals high and fakes low must have a lower loss than the reverse.
    good = discriminator_loss(name, torch.full((8,), 3.0), torch.full((8,), -3.0))
    bad = discriminator_loss(name, torch.full((8,), -3.0), torch.full((8,), 3.0))
    assert good < bad
    # ... and the generator's loss falls when its fakes are scored as more real.
    assert generator_loss(name, torch.full((8,), 2.0)) < generator_loss(name, torch.full((8,), -2.0))


def test_minimax_saturates_where_non_saturating_does_not():
    fake = torch.full((1,), -8.0, requires_grad=True)  # D confidently rejects the fake
    (g_mm,) = torch.autograd.grad(generator_loss("minimax", fake), fake)
    (g_ns,) = torch.autograd.grad(generator_loss("non_saturating", fake), fake)
    assert g_mm.abs() < 1e-3
    assert g_ns.abs() > 0.5


def test_logistic_losses_are_finite_for_extreme_scores():
    big = torch.tensor([1e4, -1e4])
    for name in ("minimax", "non_saturating", "label_smoothing"):
        assert torch.isfinite(discriminator_loss(name, big, -big))
        assert torch.isfinite(generator_loss(name, big))


def test_unknown_loss_name_lists_the_choices():
    with pytest.raises(ValueError, match="hinge"):
        get_loss("hnge")


def test_gradient_penalty_rank2_linear_discriminator_is_exact():
    w = torch.tensor([3.0, 4.0])  # ||grad|| = 5 everywhere -> penalty (5 - 1)^2 = 16
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    assert gradient_penalty(lambda x: x @ w, real, fake).item() == pytest.approx(16.0)


def test_gradient_penalty_rank4_any_channels_and_backprop_to_discriminator():
    weight = torch.nn.Parameter(torch.full((5, 7, 7), 0.1))  # 5 channels: nothing assumes 1 or 3
    discriminator = lambda x: (x * weight).flatten(1).sum(1)
    real, fake = torch.randn(3, 5, 7, 7), torch.randn(3, 5, 7, 7)
    penalty = gradient_penalty(discriminator, real, fake)
    expected = (0.1 * math.sqrt(5 * 7 * 7) - 1) ** 2  # the norm is over C, H and W of each sample
    assert penalty.item() == pytest.approx(expected, rel=1e-5)
    penalty.backward()
    assert weight.grad is not None and weight.grad.abs().sum() > 0


def test_gradient_penalty_uses_one_interpolation_weight_per_sample():
    seen = []

    def discriminator(x):
        seen.append(x.detach().clone())
        return x.flatten(1).sum(1)

    real, fake = torch.ones(4, 2, 3, 3), torch.zeros(4, 2, 3, 3)
    gradient_penalty(discriminator, real, fake)
    x_hat = seen[0]  # eps * 1 + (1 - eps) * 0 = eps, constant within each sample
    assert torch.allclose(x_hat, x_hat[:, :1, :1, :1].expand_as(x_hat))
    assert x_hat.flatten(1)[:, 0].unique().numel() == 4


def test_gradient_penalty_rejects_mismatched_batches():
    with pytest.raises(ValueError, match="one shape"):
        gradient_penalty(lambda x: x.sum(1), torch.randn(2, 3), torch.randn(2, 4))


def test_losses_name_the_discriminator_one_way():
    """The zoo says "discriminator" for every loss (WGAN's critic included): one name per thing."""
    import zoo.losses

    assert [n for n in vars(zoo.losses) if "critic" in n] == []
    assert get_loss("wasserstein").discriminator is zoo.losses.wasserstein_discriminator_loss
