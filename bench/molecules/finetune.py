"""Fine-tuning vs training from scratch: the QM9-pretrained MPNN (``mpnn-qm9-mu``) on FreeSolv.

Both recipes use the same architecture, split (random 80/10/10, seed 0), optimiser and epochs; the only
difference is ``init_from: mpnn-qm9-mu``. Each keeps its best-validation checkpoint, which is tested once.
Results go to ``bench/molecules/results/finetune-freesolv.json`` (with the sha256 of the fine-tuned weights).

    ZOO_DATA_ROOT=../shared/data python bench/molecules/finetune.py [--seeds 0]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from common import REPO, checkpoint_epoch, find_checkpoint, load_net, save_results, train

RECIPES = {"finetune": "recipes/mpnn/freesolv-finetune.yaml", "scratch": "recipes/mpnn/freesolv-scratch.yaml"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--max-epochs", type=int, default=None)
    args = parser.parse_args()

    from zoo.evaluation.molecules import moleculenet_test_metrics
    from zoo.registry import get_pretrained_cfg

    source = get_pretrained_cfg("mpnn-qm9-mu")  # the weights fine-tuned (and the architecture of both runs)

    results = []
    for seed in args.seeds:
        for mode, recipe in RECIPES.items():
            run_dir = REPO / "runs" / "mpnn" / f"freesolv-{mode}-{source.sha256[:8]}-seed{seed}"
            extra = [f"--seed_everything={seed}", f"--data.init_args.seed={seed}"]
            if args.max_epochs:
                extra.append(f"--trainer.max_epochs={args.max_epochs}")
            wall = train(recipe, run_dir, extra, log=Path(f"/tmp/freesolv-{mode}-{seed}.log"))
            best = find_checkpoint(run_dir, "best.ckpt")
            metrics = moleculenet_test_metrics(load_net(best), "freesolv", "mpnn", "random", seed)
            row = {"mode": mode, "seed": seed, "recipe": recipe, "init_model": source.id,
                   "init_model_sha256": source.sha256, "init_model_args": source.model_args,
                   "wall_time_s": round(wall, 1),
                   "best_epoch": checkpoint_epoch(best),
                   "epochs": checkpoint_epoch(find_checkpoint(run_dir, "last.ckpt")), **metrics}
            print(json.dumps(row), flush=True)
            results.append(row)
            save_results("finetune-freesolv", results)


if __name__ == "__main__":
    main()
