"""Reproduce the AAE's Parzen log-likelihood on MNIST (Makhzani et al. 2016, table 1) and ship ``aae-mnist``.

Trains ``recipes/aae/mnist.yaml`` (its CPU-time budget) or, with ``--no-train``, takes the ``last.ckpt`` of a run
of it (``--run-dir``, e.g. the folder ``zoo train recipes/aae/mnist.yaml`` printed); estimates the Parzen-window
log-likelihood of the MNIST test set from 10,000 decoded prior samples with sigma chosen on the validation
images, also scores the training images themselves as "samples" as a reference, and exports the weights with the
card (fixed fields: the current registry entry, bench/registry_fields.py).

    ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.mnist [--no-train --run-dir RUN]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.aae.common import budget_of, run_dir, save_json, train_or_load, training_meta
from bench.registry_fields import fixed_fields, published_baselines
from bench.reproduce_field import reproduce_field
from zoo.data.binarized_mnist import mnist_unit_vectors
from zoo.export import export_module
from zoo.metrics.parzen import DEFAULT_SIGMAS, ParzenResult, parzen_estimate

MODEL_ID = "aae-mnist"
RECIPE = "recipes/aae/mnist.yaml"
COMMAND = "ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.mnist"
PROTOCOL = ("Gaussian Parzen window fitted on 10,000 decoded prior samples (decoder Bernoulli means, seed 0); sigma "
            "chosen by grid search (20 values, 0.1-1.0 log-spaced) on the 10,000 validation images (last 10k of "
            "MNIST train); mean log-likelihood (nats) of the 10,000 real-valued MNIST test images in [0, 1]; +- is "
            "the standard error over test images (Goodfellow et al. 2014 protocol).")
SIGMA_PROTOCOL = "the Parzen bandwidth chosen on the validation images."
REAL_BASELINE = "ours: 10,000 MNIST training images used as the samples, same protocol"
REAL_BASELINE_NOTE = ("the real data itself; a generator can beat it because smooth Bernoulli means suit a Gaussian "
                      "window (Theis et al. 2016)")


def notes(batches: int, epochs: int, budget: str, cpu_minutes: float, parzen: float, sigma: float,
          paper: dict) -> str:
    """The card's notes: the run's budget, its gap to the paper's result ``paper`` (a ``paper_results`` item of
    the registry entry), and why a longer budget does not help."""
    return (f"Trained for {batches} batches of 100 ({epochs} epochs) on a shared 2-core CPU in a {budget} "
            f"({cpu_minutes:.1f} CPU-minutes used, one thread); the paper's schedule (SGD with momentum) is much "
            f"longer. Measured gap to the paper: {parzen:.1f} against {paper['value']:g} +- {paper['std']:g} nats "
            f"({parzen - paper['value']:+.0f} nats). The evaluation protocol was checked against Makhzani et al. "
            "(2016) and the Goodfellow et al. (2014) Parzen protocol it follows, and matches: 10,000 samples, "
            "sigma by grid search on a 10,000-image validation split, test log-likelihood in nats of MNIST pixels "
            f"in [0, 1]; the chosen sigma ({sigma:.3f}) lies inside the grid, so the grid does not cap the "
            "estimate. The gap is therefore the model, not the measurement. A longer budget does not close it "
            "with this recipe: a 20 CPU-minute run (10,100 batches, W&B offline run 19cff2a8) scored 15.1 +- 1.2 "
            "nats, because the latent discriminator wins after about 5,000 batches (its mean output on the codes, "
            "0.5 when they match the prior, falls from 0.42 to 0.02), so the codes leave the prior and prior "
            "samples decode badly; hence the short budget. The first aae-mnist (2,200 batches in a 15-minute "
            f"wall-clock budget, unlogged) scored 292.7 +- 1.8. The paper's {paper['value']:g} is not reached. The "
            "Parzen estimate is crude and favours blurry samples (Theis et al. 2016): compare it only within this "
            "protocol. `zoo sample aae-mnist --out grid.png` draws decoder means of prior samples.")


def card_meta(ours: ParzenResult, real: ParzenResult, facts: dict, budget: str) -> dict:
    """The new registry entry (all but the weights' fields): the current entry's fixed fields and published
    baselines, with the measured Parzen estimates of the AAE (``ours``) and of real images (``real``)."""
    fields = fixed_fields(MODEL_ID)
    paper = next(r for r in fields["paper_results"] if r["name"] == "parzen_log_likelihood")
    return {
        **fields,
        "id": MODEL_ID,
        "reproduce": reproduce_field(f"zoo train {RECIPE}"),
        "metrics": [
            {"name": "parzen_log_likelihood", "value": ours.mean, "std": ours.std_error, "unit": "nats",
             "split": "test", "protocol": PROTOCOL, "command": COMMAND},
            {"name": "parzen_sigma", "value": ours.sigma, "split": "val", "higher_is_better": False,
             "protocol": SIGMA_PROTOCOL, "command": COMMAND},
        ],
        "baselines": [
            *published_baselines(MODEL_ID),
            {"name": "parzen_log_likelihood", "value": round(real.mean, 1), "std": round(real.std_error, 1),
             "unit": "nats", "citation": REAL_BASELINE, "note": REAL_BASELINE_NOTE},
        ],
        "training": training_meta(facts, RECIPE, budget),
        "notes": notes(facts["batches"], facts["epochs_completed"], budget, facts.get("cpu_seconds", 0.0) / 60,
                       ours.mean, ours.sigma, paper),
        "extra": {"eval": {"n_samples": 10_000, "seed": 0}, "parzen_sigma_val_ll": ours.val_mean,
                  "latent_prior": "N(0, I_8)"},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=run_dir(RECIPE), help="the run folder (default %(default)s)")
    parser.add_argument("--no-train", action="store_true", help="reuse <run-dir>/checkpoints/last.ckpt")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--reuse-results", action="store_true",
                        help="export with the numbers of <run-dir>/results.json (no re-evaluation)")
    args = parser.parse_args(argv)

    system, facts = train_or_load(RECIPE, [], not (args.no_train or args.reuse_results), folder=args.run_dir)
    net = system.net.eval()
    if args.reuse_results:
        saved = json.loads((args.run_dir / "results.json").read_text())
        ours, real = ParzenResult(**saved["aae"]), ParzenResult(**saved["training_images"])
    else:
        val, test, train = (mnist_unit_vectors(None, s) for s in ("val", "test", "train"))
        ours = parzen_estimate(net.sample_probabilities(10_000, seed=0), val, test)
        real = parzen_estimate(train[:10_000], val, test)
    print(f"AAE Parzen LL {ours.mean:.1f} +- {ours.std_error:.1f} (sigma {ours.sigma:.3f}); "
          f"10k training images as samples: {real.mean:.1f} +- {real.std_error:.1f}")
    save_json(args.run_dir / "results.json", {"aae": ours.__dict__, "training_images": real.__dict__,
                                              "training": facts})
    if args.no_export:
        return
    if ours.sigma in (min(DEFAULT_SIGMAS), max(DEFAULT_SIGMAS)):  # the card's notes say it lies inside the grid
        raise SystemExit(f"sigma {ours.sigma:.3f} is at the end of the Parzen grid: widen the grid before shipping")

    meta = card_meta(ours, real, facts, budget_of(RECIPE))
    cfg = export_module(net, system.hparams.architecture, dict(system.hparams.model_args), meta)
    print(f"exported {cfg.id} (sha256 {cfg.sha256})")


if __name__ == "__main__":
    sys.exit(main())
