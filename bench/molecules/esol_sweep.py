"""A small width sweep for NFP on ESOL, selected on VALIDATION RMSE (mean over seeds 0-2).

Outcome (bench/molecules/results/esol_sweep.json): paper 0.629, wide 0.624, wide-dropout 0.589 validation RMSE,
so recipes/nfp/esol.yaml uses wide-dropout (d = 64, fingerprint 128, dropout 0.2); the paper's setting's
5-seed test numbers stay in results/esol_paper_config.json.

Variants override ``model_args`` of ``recipes/nfp/esol.yaml``; each runs on the random splits of the given seeds.
Results: ``bench/molecules/results/esol_sweep.json`` (val and test RMSE per run; choose by the val mean).

    ZOO_DATA_ROOT=../shared/data python bench/molecules/esol_sweep.py --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from common import REPO, find_checkpoint, load_net, save_results, train

PAPER = {"hidden_channels": 20, "num_layers": 4, "fingerprint_dim": 50, "mlp_hidden": 100}
VARIANTS = {
    "paper": PAPER,
    "wide": {"hidden_channels": 64, "num_layers": 4, "fingerprint_dim": 128, "mlp_hidden": 128},
    "wide-dropout": {"hidden_channels": 64, "num_layers": 4, "fingerprint_dim": 128, "mlp_hidden": 128,
                     "dropout": 0.2},
}
RECIPE = "wide-dropout"  # what recipes/nfp/esol.yaml sets (chosen by this sweep)
UNITS = {"target_names": ["log_solubility"], "units": ["log10(mol/L)"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args()

    from zoo.evaluation.molecules import moleculenet_test_metrics

    results = []
    for name in args.variants:
        for seed in args.seeds:
            # the recipe's own setting shares its run folders with bench/molecules/esol.py
            run_dir = REPO / "runs" / "nfp" / (f"esol-seed{seed}" if name == RECIPE else f"esol-{name}-seed{seed}")
            model_args = json.dumps({**VARIANTS[name], **UNITS})
            train("recipes/nfp/esol.yaml", run_dir, [f"--seed_everything={seed}", f"--data.init_args.seed={seed}",
                                                      f"--model.init_args.model_args={model_args}"],
                  log=Path(f"/tmp/esol-sweep-{name}-{seed}.log"))  # skipped when the run finished before
            net = load_net(find_checkpoint(run_dir, "best.ckpt"))
            row = {"variant": name, "seed": seed, "model_args": VARIANTS[name],
                   **moleculenet_test_metrics(net, "esol", "nfp", "random", seed, subset="val"),
                   **moleculenet_test_metrics(net, "esol", "nfp", "random", seed)}
            print(json.dumps(row), flush=True)
            results.append(row)
            save_results("esol_sweep", results)
    for name in args.variants:
        vals = [r["val_rmse"] for r in results if r["variant"] == name]
        print(f"{name}: val RMSE {statistics.mean(vals):.3f} over seeds {args.seeds}")


if __name__ == "__main__":
    main()
