"""Reproduce the AAE's Parzen log-likelihood on MNIST (Makhzani et al. 2016, table 1) and ship ``aae-mnist``.

Trains ``recipes/aae/mnist.yaml`` (its CPU-time budget) or, with ``--no-train``, takes the ``last.ckpt`` of a run
of it (``--run-dir``, e.g. the folder ``zoo train recipes/aae/mnist.yaml`` printed); estimates the Parzen-window
log-likelihood of the MNIST test set from 10,000 decoded prior samples with sigma chosen on the validation
images, also scores the training images themselves as "samples" as a reference, and exports the weights with the
card (card fields: bench/card_fields.yaml).

    ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.mnist [--no-train --run-dir RUN]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.aae.common import budget_of, run_dir, save_json, train_or_load, training_meta
from bench.card_fields import card_fields, card_text
from bench.reproduce_field import reproduce_field
from zoo.data.binarized_mnist import mnist_unit_vectors
from zoo.export import export_module
from zoo.metrics.parzen import DEFAULT_SIGMAS, ParzenResult, parzen_estimate

MODEL_ID = "aae-mnist"
RECIPE = "recipes/aae/mnist.yaml"
COMMAND = "ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.mnist"


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

    protocol = card_text(MODEL_ID, "protocol")
    budget, cpu_minutes = budget_of(RECIPE), facts.get("cpu_seconds", 0.0) / 60
    fields = card_fields(MODEL_ID)
    paper = next(r["value"] for r in fields["paper_results"] if r["name"] == "parzen_log_likelihood")
    meta = {
        **fields,
        "id": MODEL_ID,
        "reproduce": reproduce_field(f"zoo train {RECIPE}"),
        "metrics": [
            {"name": "parzen_log_likelihood", "value": ours.mean, "std": ours.std_error, "unit": "nats",
             "split": "test", "protocol": protocol, "command": COMMAND},
            {"name": "parzen_sigma", "value": ours.sigma, "split": "val", "higher_is_better": False,
             "protocol": card_text(MODEL_ID, "sigma_protocol"), "command": COMMAND},
        ],
        "baselines": [
            *fields["baselines"],
            {"name": "parzen_log_likelihood", "value": round(real.mean, 1), "std": round(real.std_error, 1),
             "unit": "nats", "citation": card_text(MODEL_ID, "real_baseline"),
             "note": card_text(MODEL_ID, "real_baseline_note")},
        ],
        "training": training_meta(facts, RECIPE, budget),
        "notes": card_text(MODEL_ID, "notes", batches=facts["batches"], epochs=facts["epochs_completed"],
                           budget=budget, parzen=ours.mean, gap=ours.mean - paper, sigma=ours.sigma,
                           cpu_minutes=cpu_minutes),
        "extra": {"eval": {"n_samples": 10_000, "seed": 0}, "parzen_sigma_val_ll": ours.val_mean,
                  "latent_prior": "N(0, I_8)"},
    }
    cfg = export_module(net, system.hparams.architecture, dict(system.hparams.model_args), meta)
    print(f"exported {cfg.id} (sha256 {cfg.sha256})")


if __name__ == "__main__":
    sys.exit(main())
