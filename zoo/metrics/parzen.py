r"""Gaussian Parzen-window log-likelihood, the estimate used by Goodfellow et al. (2014) and Makhzani et al. (2016).

Fit an isotropic Gaussian kernel density on :math:`N` generated samples :math:`\mu_1..\mu_N \in \mathbb R^d`
and report the mean log-density of held-out data:

.. math::
    \log \hat p(x) = \log \frac1N \sum_{i=1}^N \mathcal N(x; \mu_i, \sigma^2 I)
                   = \operatorname{logsumexp}_i\Big(-\frac{\lVert x-\mu_i\rVert^2}{2\sigma^2}\Big)
                     - \log N - \frac d2 \log(2\pi\sigma^2).

The bandwidth :math:`\sigma` is chosen on a validation set by grid search (Goodfellow et al.: 10,000 samples,
validation = the last 10,000 MNIST training images, pixels in [0, 1]). The estimate is known to be crude
(Theis et al., "A note on the evaluation of generative models", 2016); it is reported for comparison with the
papers. Reported with the standard error over test points, as in the papers' "+- 2".

With 10,000 samples of 784 pixels each pass takes a minute or more on a CPU; ``progress`` shows the sigma search
and the test pass (:mod:`zoo.progress`: a bar on a terminal, a start and an end line in a log).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from zoo.progress import stage

DEFAULT_SIGMAS = tuple(float(s) for s in torch.logspace(-1, 0, 20))  # 0.1 ... 1.0


def parzen_log_likelihoods(samples: Tensor, data: Tensor, sigmas: Sequence[float],
                           batch_size: int = 500, progress: str | None = None) -> Tensor:
    """Per-point log-likelihoods ``(len(sigmas), M)`` of ``data (M, d)`` under the Parzen windows of ``samples
    (N, d)`` for several bandwidths at once (the squared distances, the costly part, are computed once).
    ``progress`` names the stage shown (:func:`zoo.progress.stage`; None: silent)."""
    if samples.dim() != 2 or data.dim() != 2 or samples.shape[1] != data.shape[1]:
        raise ValueError(f"samples and data must be (N, d) and (M, d), got {tuple(samples.shape)} and "
                         f"{tuple(data.shape)}")
    if min(sigmas) <= 0:
        raise ValueError(f"sigma must be positive, got {min(sigmas)}")
    samples, data = samples.double(), data.double()
    n, d = samples.shape
    sample_sq = samples.pow(2).sum(1)
    out = []
    with stage(progress, len(data), "points") as bar:
        for chunk in data.split(batch_size):
            sq = (chunk.pow(2).sum(1, keepdim=True) - 2 * chunk @ samples.T + sample_sq).clamp(min=0)
            out.append(torch.stack([
                torch.logsumexp(-sq / (2 * s ** 2), dim=1) - math.log(n) - 0.5 * d * math.log(2 * math.pi * s ** 2)
                for s in sigmas]))
            bar.update(len(chunk))
    return torch.cat(out, dim=1)


def parzen_log_likelihood(samples: Tensor, data: Tensor, sigma: float, batch_size: int = 500) -> Tensor:
    """Per-point log-likelihood ``(M,)`` of ``data (M, d)`` under the Parzen window of ``samples (N, d)``."""
    return parzen_log_likelihoods(samples, data, [sigma], batch_size)[0]


@dataclass(frozen=True)
class ParzenResult:
    mean: float  # mean log-likelihood over the test points (nats)
    std_error: float  # standard error of that mean
    sigma: float  # bandwidth chosen on the validation set
    val_mean: float  # mean validation log-likelihood at that sigma


def parzen_estimate(samples: Tensor, val: Tensor, test: Tensor, sigmas: Sequence[float] = DEFAULT_SIGMAS,
                    n_val: int | None = None, progress: bool = False) -> ParzenResult:
    """Choose sigma maximising the mean log-likelihood of ``val`` (the first ``n_val`` rows), report ``test``;
    ``progress``: the two passes are stages (``Parzen: ...``)."""
    val = val if n_val is None else val[:n_val]
    sigmas = [float(s) for s in sigmas]
    search = f"Parzen: {len(sigmas)} sigmas on the validation set" if progress else None
    scores = dict(zip(sigmas, parzen_log_likelihoods(samples, val, sigmas, progress=search).mean(1).tolist()))
    sigma = max(scores, key=scores.get)
    final = f"Parzen: the test set at sigma {sigma:.3g}" if progress else None
    ll = parzen_log_likelihoods(samples, test, [sigma], progress=final)[0]
    return ParzenResult(float(ll.mean()), float(ll.std() / math.sqrt(len(ll))), sigma, scores[sigma])
