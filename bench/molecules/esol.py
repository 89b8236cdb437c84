"""Reproduce ``nfp-esol``: NFP and the ECFP4 + MLP baseline on 5 random 80/10/10 ESOL splits; export seed 0.

For every seed s the split seed and the training seed are both s; each model keeps its best-validation checkpoint
and is tested once on its split's test set. Seed 0's NFP is shipped (not the best seed: seed 0 by rule).

Runs that finished before (``runs/<method>/esol-seed<s>/DONE``) are reused. Run (about 30 min on one CPU thread):

    ZOO_DATA_ROOT=../shared/data python bench/molecules/esol.py            # train, test, export
    ZOO_DATA_ROOT=../shared/data python bench/molecules/esol.py --export-only   # reuse runs/ and results
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
from pathlib import Path

from common import REPO, RESULTS, checkpoint_epoch, find_checkpoint, load_net, save_results, train

METHODS = {"nfp": ("recipes/nfp/esol.yaml", "nfp"), "ecfp": ("recipes/ecfp/esol.yaml", "ecfp")}


def run(seeds: list[int]) -> list[dict]:
    from zoo.evaluation.molecules import moleculenet_test_metrics

    results = []
    for seed in seeds:
        for method, (recipe, featurizer) in METHODS.items():
            run_dir = REPO / "runs" / method / f"esol-seed{seed}"
            wall = train(recipe, run_dir, [f"--seed_everything={seed}", f"--data.init_args.seed={seed}"],
                         log=Path(f"/tmp/esol-{method}-{seed}.log"))
            best = find_checkpoint(run_dir, "best.ckpt")
            metrics = moleculenet_test_metrics(load_net(best), "esol", featurizer, "random", seed)
            row = {"method": method, "seed": seed, "wall_time_s": round(wall, 1), "best_epoch":
                   checkpoint_epoch(best), "epochs": checkpoint_epoch(find_checkpoint(run_dir, "last.ckpt")),
                   "checkpoint": str(best.relative_to(REPO)), **metrics}
            print(json.dumps(row), flush=True)
            results.append(row)
            save_results("esol", results)
    return results


def summary(results: list[dict], method: str) -> tuple[float, float, int]:
    values = [r["test_rmse"] for r in results if r["method"] == method]
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0, len(values)


def paper_config_baseline() -> list[dict]:
    """The same recipe with the paper's widths (conv 20, fingerprint 50, MLP 100), if its 5 seeds were run."""
    path = RESULTS / "esol_paper_config.json"
    if not path.is_file():
        return []
    mean, std, n = summary(json.loads(path.read_text()), "nfp")
    return [{"name": "test_rmse", "value": mean, "std": std, "unit": "log10(mol/L)",
             "citation": f"NFP with the paper's widths (conv 20, fingerprint 50, MLP 100), ours, same {n} splits",
             "note": "bench/molecules/results/esol_paper_config.json"}]


def export(results: list[dict]) -> None:
    from zoo.export import export_checkpoint

    nfp_mean, nfp_std, n = summary(results, "nfp")
    ecfp_mean, ecfp_std, _ = summary(results, "ecfp")
    shipped = next(r for r in results if r["method"] == "nfp" and r["seed"] == 0)
    command = "ZOO_DATA_ROOT=../shared/data zoo eval nfp-esol"
    protocol = ("ESOL (1,128 molecules), random 80/10/10 split with numpy default_rng(0); best-validation "
                "checkpoint, tested once on the 113 test molecules.")
    meta = {
        "id": "nfp-esol",
        "method": "Neural graph fingerprint (NFP)",
        "paper": "Duvenaud et al., Convolutional Networks on Graphs for Learning Molecular Fingerprints, "
                 "NeurIPS 2015 (arXiv:1509.09292)",
        "task": "graph-regression",
        "dataset": "ESOL",
        "split": "random 80/10/10, seed 0 (zoo.data.moleculenet.random_split)",
        "recipe": "zoo train recipes/nfp/esol.yaml   # all seeds + export: python bench/molecules/esol.py",
        "evaluator": "moleculenet",
        "metrics": [
            {"name": "test_rmse", "value": shipped["test_rmse"], "unit": "log10(mol/L)", "split": "test",
             "protocol": protocol, "command": command, "higher_is_better": False},
            {"name": "test_mae", "value": shipped["test_mae"], "unit": "log10(mol/L)", "split": "test",
             "protocol": protocol, "command": command, "higher_is_better": False},
        ],
        "paper_results": [{"name": "test_rmse", "value": 0.52, "std": 0.07, "unit": "log10(mol/L)",
                           "citation": "Duvenaud et al. 2015, Table 2 (neural FP + neural net)",
                           "note": "their own random splits"}],
        "baselines": [
            {"name": "test_rmse", "value": nfp_mean, "std": nfp_std, "unit": "log10(mol/L)",
             "citation": f"this NFP recipe, mean over {n} random splits (seeds 0-{n - 1})",
             "note": "bench/molecules/esol.py"},
            *paper_config_baseline(),
            {"name": "test_rmse", "value": ecfp_mean, "std": ecfp_std, "unit": "log10(mol/L)",
             "citation": f"ECFP4 (Morgan r=2, 2048 bits) + MLP, ours, same {n} splits",
             "note": "recipes/ecfp/esol.yaml"},
        ],
        "license": "apache-2.0",
        "dataset_license": "ESOL (Delaney 2004) via MoleculeNet; see the data README",
        "tags": ["molecules", "chemistry", "moleculenet", "esol", "graph-neural-network", "nfp"],
        "training": {"hardware": "CPU (1 thread of a shared 2-core machine)",
                     "wall_time": f"{shipped['wall_time_s'] / 60:.1f} min",
                     "epochs": shipped["epochs"], "best_epoch": shipped["best_epoch"],
                     "batch_size": 32, "optimizer": "Adam 1e-3, ReduceLROnPlateau"},
        "notes": (f"Shipped: seed 0 (chosen by rule, not the best seed). Over {n} random splits NFP reaches "
                  f"{nfp_mean:.3f} +- {nfp_std:.3f} and the ECFP4 + MLP baseline {ecfp_mean:.3f} +- "
                  f"{ecfp_std:.3f} log10(mol/L) RMSE (per-seed numbers: bench/molecules/results/esol.json). "
                  "Widths (conv 64, fingerprint 128, MLP 128, dropout 0.2) were chosen on validation RMSE over "
                  "seeds 0-2 (bench/molecules/esol_sweep.py); the paper's smaller widths are the third row. "
                  "Hydrogens are implicit, as in the paper. Predictions from SMILES: "
                  "`zoo predict nfp-esol --smiles CCO`."),
        "extra": {"dataset": "esol", "featurizer": "nfp", "split": "random", "split_seed": 0,
                  "target_names": ["log_solubility"], "units": ["log10(mol/L)"],
                  "per_seed": [r for r in results], "python": platform.python_version()},
    }
    cfg = export_checkpoint(REPO / shipped["checkpoint"], meta)
    print("exported", cfg.id, cfg.sha256)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--export-only", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args()
    results = json.loads((RESULTS / "esol.json").read_text()) if args.export_only else run(args.seeds)
    if not args.no_export:
        export(results)


if __name__ == "__main__":
    main()
