"""Fine-tuning vs training from scratch: the QM9-pretrained MPNN (``mpnn-qm9-mu``) on FreeSolv.

Both recipes use the same architecture, split (random 80/10/10, seed 0), optimiser and epochs; the only
difference is ``init_from: mpnn-qm9-mu``. Each runs through ``zoo train`` (run folders
``runs/bench/init-<sha256[:8]>/mpnn/freesolv-<mode>/seed<s>``), keeps its best-validation checkpoint, and is tested
once. Results go to ``runs/bench/finetune-freesolv.json``, or with ``--save`` to
``bench/molecules/results/finetune-freesolv.json`` (with the sha256 of the fine-tuned weights).

    ZOO_DATA_ROOT=../shared/data python -m bench.molecules.finetune [--seeds 0] [--save]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.seeds import RUNS_DIR, checkpoint_epoch, fit_seed, load_net, print_outputs, save_json

RECIPES = {"finetune": "recipes/mpnn/freesolv-finetune.yaml", "scratch": "recipes/mpnn/freesolv-scratch.yaml"}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="Other options (--trainer.max_epochs=2 ...) go to every run.")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--save", action="store_true", help="write bench/molecules/results/finetune-freesolv.json")
    args, extra = parser.parse_known_args(argv)
    if args.save and extra:
        parser.error(f"--save records the recipes' own settings; drop {' '.join(extra)}")

    from zoo.evaluation.molecules import moleculenet_test_metrics
    from zoo.registry import get_pretrained_cfg

    source = get_pretrained_cfg("mpnn-qm9-mu")  # the weights fine-tuned (and the architecture of both runs)

    results_path = Path(__file__).resolve().parent / "results" / "finetune-freesolv.json" if args.save \
        else RUNS_DIR / "finetune-freesolv.json"
    results, runs = [], []
    for seed in args.seeds:
        for mode, recipe in RECIPES.items():
            runs.append(fit_seed(recipe, seed, per_seed=[f"--data.init_args.seed={seed}"], extra=extra,
                                 runs_dir=RUNS_DIR / f"init-{source.sha256[:8]}"))
            wall = runs[-1].wall_s
            best = runs[-1].checkpoint("best.ckpt")
            metrics = moleculenet_test_metrics(load_net(best), "freesolv", "mpnn", "random", seed)
            row = {"mode": mode, "seed": seed, "recipe": recipe, "init_model": source.id,
                   "init_model_sha256": source.sha256, "init_model_args": source.model_args,
                   "wall_time_s": round(wall, 1),
                   "best_epoch": checkpoint_epoch(best),
                   "epochs": checkpoint_epoch(runs[-1].checkpoint("last.ckpt")), **metrics}
            print(json.dumps(row), flush=True)
            results.append(row)
            save_json(results_path, results)
    print_outputs(runs, results_path, None)


if __name__ == "__main__":
    main()
