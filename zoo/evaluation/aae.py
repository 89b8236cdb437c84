"""``zoo eval`` for the adversarial autoencoders. Each function recomputes the metrics named on the card.

- ``aae-parzen`` (aae-mnist): Gaussian Parzen-window log-likelihood of the MNIST test set under 10,000 decoded
  prior samples (Bernoulli means), sigma chosen on the 10,000 validation images (:mod:`zoo.metrics.parzen`).
- ``aae-bag-of-words`` (aae-20news): reconstruction of held-out documents.
- ``aae-fingerprints`` (aae-fingerprints): bit-level reconstruction of held-out MACCS keys, and samples against
  the real distribution (nearest-neighbour Tanimoto, uniqueness, novelty).
- ``aae-moses`` (aae-moses): the MOSES metrics of sampled SMILES (:mod:`zoo.metrics.moses`), once per sampling
  temperature in ``extra["eval"]["temperatures"]``: the first (MOSES samples at 1) under the metrics' own names,
  the others suffixed ``@t<T>`` (``valid@t0.65``).

Sample counts, seeds and subsets come from ``cfg.extra["eval"]`` so the card and ``zoo eval`` agree. The long
evaluations (Parzen: minutes; MOSES: half an hour on a CPU) show each stage (:mod:`zoo.progress`): a bar on a
terminal, a start and an end line in a log.
"""

from __future__ import annotations

import torch
from torch import Tensor

from zoo.evaluation import register_evaluator
from zoo.progress import step


def _eval_args(cfg, **defaults) -> dict:
    return {**defaults, **(cfg.extra or {}).get("eval", {})}


@torch.no_grad()
def reconstruction_metrics(model, data: Tensor, batch_size: int = 1000) -> dict[str, float]:
    """Bernoulli NLL (nats per vector), bit accuracy and F1 of the on-bits of thresholded reconstructions."""
    model.eval()
    nll = correct = tp = fp = fn = 0.0
    for x in data.split(batch_size):
        nll += float(model.reconstruction_loss(x)) * x.shape[0]
        pred = (model(x) > 0.5).float()
        correct += float((pred == x).float().sum())
        tp += float((pred * x).sum())
        fp += float((pred * (1 - x)).sum())
        fn += float(((1 - pred) * x).sum())
    n = data.shape[0]
    return {"reconstruction_nll": nll / n, "bit_accuracy": correct / data.numel(),
            "on_bit_f1": 2 * tp / max(2 * tp + fp + fn, 1.0)}


def sample_vs_real(samples: Tensor, real: Tensor, train: Tensor) -> dict[str, float]:
    """Uniqueness and novelty of sampled bit vectors and their nearest-neighbour Tanimoto to ``real`` (the SNN of
    :mod:`zoo.metrics.moses`, here on MACCS keys)."""
    from zoo.metrics.moses import tanimoto_aggregate

    rows = {bytes(r) for r in samples.to(torch.uint8).numpy()}
    train_rows = {bytes(r) for r in train.to(torch.uint8).numpy()}
    return {"unique_fraction": len(rows) / samples.shape[0],
            "novelty": len(rows - train_rows) / max(len(rows), 1),
            "nn_tanimoto_to_test": float(tanimoto_aggregate(samples.float(), real.float(), "max").mean())}


@register_evaluator("aae-parzen")
def aae_parzen(model, cfg, root=None) -> dict[str, float]:
    from zoo.data.binarized_mnist import mnist_unit_vectors
    from zoo.metrics.parzen import parzen_estimate

    args = _eval_args(cfg, n_samples=10_000, seed=0)
    samples = model.sample_probabilities(args["n_samples"], seed=args["seed"])
    result = parzen_estimate(samples, mnist_unit_vectors(root, "val"), mnist_unit_vectors(root, "test"),
                             progress=True)
    return {"parzen_log_likelihood": result.mean, "parzen_sigma": result.sigma}


@register_evaluator("aae-bag-of-words")
def aae_bag_of_words(model, cfg, root=None) -> dict[str, float]:
    from zoo.data.text import NewsgroupsDataModule

    test = NewsgroupsDataModule(root).split("test")
    return {f"test_{k}": v for k, v in reconstruction_metrics(model, test).items()}


@register_evaluator("aae-fingerprints")
def aae_fingerprints(model, cfg, root=None) -> dict[str, float]:
    from zoo.data.fingerprints import MACCSDataModule

    args = _eval_args(cfg, n_samples=10_000, seed=0, data={})
    data = MACCSDataModule(root, **args["data"])
    with step("MACCS keys of the MOSES subsets (a first run computes them: minutes)"):
        test, train = data.split("test"), torch.cat([data.split("train"), data.split("val")])
    out = {f"test_{k}": v for k, v in reconstruction_metrics(model, test).items()}
    out.update({f"sample_{k}": v for k, v in
                sample_vs_real(model.sample(args["n_samples"], seed=args["seed"]), test, train).items()})
    return out


@register_evaluator("aae-moses")
def aae_moses(model, cfg, root=None) -> dict[str, float]:
    from zoo.metrics.moses import moses_metrics, reference_sets

    args = _eval_args(cfg, n_samples=10_000, seed=0, test_size=10_000, train_size=None, subset_seed=0,
                      temperatures=[None])
    ref = reference_sets(root, test_size=args["test_size"], train_size=args["train_size"],
                         seed=args["subset_seed"], progress=True)
    scores = {}
    for i, temperature in enumerate(args["temperatures"]):
        shown = model.temperature if temperature is None else temperature
        samples = model.sample(args["n_samples"], seed=args["seed"], temperature=temperature,
                               progress=f"AAE: sampling at temperature {shown:g}")
        suffix = "" if i == 0 else temperature_suffix(temperature)
        metrics = moses_metrics(samples, ref, progress=True)
        scores.update({f"{name}{suffix}": value for name, value in metrics.items()})
    return scores


def temperature_suffix(temperature: float) -> str:
    """``"@t0.65"``: the metric-name suffix of a second sampling temperature (the first, MOSES' 1, has none)."""
    return f"@t{temperature:g}"
