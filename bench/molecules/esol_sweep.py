"""A small width sweep for NFP on ESOL, selected on VALIDATION RMSE (mean over seeds 0-2).

Outcome (bench/molecules/results/esol_sweep.json): paper 0.629, wide 0.624, wide-dropout 0.589 validation RMSE,
so recipes/nfp/esol.yaml uses wide-dropout (d = 64, fingerprint 128, dropout 0.2); the paper's setting's
5-seed test numbers stay in results/esol_paper_config.json.

Variants override ``model_args`` of ``recipes/nfp/esol.yaml``; each runs on the random splits of the given seeds
through ``zoo train`` (the recipe's own variant shares its run folders with ``bench.molecules.esol``). Results:
``runs/bench/esol_sweep.json``, or with ``--save`` ``bench/molecules/results/esol_sweep.json`` (val and test
RMSE per run; choose by the val mean).

    ZOO_DATA_ROOT=../shared/data python -m bench.molecules.esol_sweep --seeds 0 1 2 --save
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from bench.seeds import RUNS_DIR, fit_seed, load_net, print_outputs, save_json

PAPER = {"hidden_channels": 20, "num_layers": 4, "fingerprint_dim": 50, "mlp_hidden": 100}
VARIANTS = {
    "paper": PAPER,
    "wide": {"hidden_channels": 64, "num_layers": 4, "fingerprint_dim": 128, "mlp_hidden": 128},
    "wide-dropout": {"hidden_channels": 64, "num_layers": 4, "fingerprint_dim": 128, "mlp_hidden": 128,
                     "dropout": 0.2},
}
RECIPE = "wide-dropout"  # what recipes/nfp/esol.yaml sets (chosen by this sweep)
UNITS = {"target_names": ["log_solubility"], "units": ["log10(mol/L)"]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Other options (--trainer.max_epochs=2 ...) go to every run.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    parser.add_argument("--save", action="store_true", help="write bench/molecules/results/esol_sweep.json")
    args, extra = parser.parse_known_args(argv)
    if args.save and extra:
        parser.error(f"--save records the recipe's own setting; drop {' '.join(extra)}")

    from zoo.evaluation.molecules import moleculenet_test_metrics

    results_path = Path(__file__).resolve().parent / "results" / "esol_sweep.json" if args.save \
        else RUNS_DIR / "esol_sweep.json"
    results, runs = [], []
    for name in args.variants:
        for seed in args.seeds:
            variant = [] if name == RECIPE else [f"--model.init_args.model_args={json.dumps({**VARIANTS[name], **UNITS})}"]
            runs.append(fit_seed("recipes/nfp/esol.yaml", seed, per_seed=[f"--data.init_args.seed={seed}"],
                                 extra=variant + extra))
            net = load_net(runs[-1].checkpoint("best.ckpt"))
            row = {"variant": name, "seed": seed, "model_args": VARIANTS[name],
                   **moleculenet_test_metrics(net, "esol", "nfp", "random", seed, subset="val"),
                   **moleculenet_test_metrics(net, "esol", "nfp", "random", seed)}
            print(json.dumps(row), flush=True)
            results.append(row)
            save_json(results_path, results)
    for name in args.variants:
        vals = [r["val_rmse"] for r in results if r["variant"] == name]
        print(f"{name}: val RMSE {statistics.mean(vals):.3f} over seeds {args.seeds}")
    print_outputs(runs, results_path, None)


if __name__ == "__main__":
    main()
