import math

import pytest
import torch

from zoo.metrics.parzen import parzen_estimate, parzen_log_likelihood


def test_single_kernel_matches_the_gaussian_density():
    mu, x, sigma = torch.zeros(1, 3), torch.tensor([[1.0, 0.0, 2.0]]), 0.5
    expected = -5.0 / (2 * sigma ** 2) - 1.5 * math.log(2 * math.pi * sigma ** 2)
    assert parzen_log_likelihood(mu, x, sigma).item() == pytest.approx(expected, rel=1e-9)


def test_mixture_of_kernels_averages_densities():
    mu = torch.tensor([[0.0], [10.0]])
    x = torch.tensor([[0.0]])
    one = -0.5 * math.log(2 * math.pi)
    assert parzen_log_likelihood(mu, x, 1.0).item() == pytest.approx(one + math.log(0.5), abs=1e-9)


def test_sigma_is_chosen_on_validation_data():
    g = torch.Generator().manual_seed(0)
    samples, val, test = (torch.randn(n, 2, generator=g) * 0.3 for n in (2000, 300, 300))
    result = parzen_estimate(samples, val, test, sigmas=[0.01, 0.1, 3.0])
    assert result.sigma == 0.1
    assert result.std_error > 0 and result.mean > parzen_log_likelihood(samples, test, 3.0).mean()


def test_bad_shapes_and_sigma_raise():
    with pytest.raises(ValueError, match="must be"):
        parzen_log_likelihood(torch.zeros(3, 2), torch.zeros(3, 4), 1.0)
    with pytest.raises(ValueError, match="positive"):
        parzen_log_likelihood(torch.zeros(3, 2), torch.zeros(3, 2), 0.0)
