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


def test_progress_in_a_log_is_two_stages_and_changes_no_number(capfd):
    g = torch.Generator().manual_seed(0)
    samples, val, test = (torch.randn(n, 2, generator=g) * 0.3 for n in (200, 1200, 30))
    quiet = parzen_estimate(samples, val, test, sigmas=[0.01, 0.1, 3.0])
    assert capfd.readouterr() == ("", "")  # silent unless asked
    assert parzen_estimate(samples, val, test, sigmas=[0.01, 0.1, 3.0], progress=True) == quiet
    out, err = capfd.readouterr()
    assert out == "" and "\r" not in err and "█" not in err
    lines = err.splitlines()  # the validation set in three chunks of 500 rows: still one start and one end line
    assert len(lines) == 4 and lines[0] == "Parzen: 3 sigmas on the validation set: 1,200 points ..."
    assert lines[1].startswith("Parzen: 3 sigmas on the validation set: done, 1,200 points in ")
    assert lines[2] == "Parzen: the test set at sigma 0.1: 30 points ..." and lines[3].startswith(
        "Parzen: the test set at sigma 0.1: done, 30 points in ")
