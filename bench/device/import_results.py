"""Step 3 of 3, here: unpack what ``bench/device/run.sh`` sent back, measure each run with its card's protocol on
CPU, and write its card fields; ship only with ``--export``.

For every run folder in the archives (``gans-mnist.tar.gz``, ``wgan-gp-celeba.tar.gz``, ``mpnn-qm9-mu.tar.gz``):

1. unpack into ``runs/device/<folder name of FILES>/<id>/`` (never into ``checkpoints/``);
2. W&B: a run that logged to W&B offline keeps its run id (``wandb_run_id``; ``wandb sync
   runs/device/.../<id>/wandb/offline-run-*`` uploads it); a run that logged only to CSV, because wandb was not on
   the machine, gets no W&B id. Its curves come from its CSV log either way (``zoo cards --curves ID RUN_FOLDER``
   reads ``csv/`` or ``lightning_logs/``, :mod:`zoo.run_metrics`);
3. measure: FID/KID with the card's protocol (:mod:`bench.gan.shipping`, 500 generated vs 1,000 real images,
   TF-Inception on CPU) for the GANs, val and test MAE on the full QM9 splits for the MPNN
   (:mod:`bench.molecules.qm9_card`);
4. write ``card.json`` (the card fields: the numbers, the ``zoo train`` command the machine ran, the W&B id, the
   hardware and the budget) beside ``weights.ckpt`` and print the ``zoo export`` command that ships it;
   ``--export`` runs it (a GAN replaces a shipped checkpoint only when its FID is lower, unless ``--force``).

    ZOO_DATA_ROOT=../shared/data python -m bench.device.import_results FILES_AT [--ids ...] [--export]
    python -m bench.device.import_results /tmp/out --no-eval     # rehearsal: unpack and write cards, no metrics
"""

from __future__ import annotations

import argparse
import json
import shlex
import tarfile
from pathlib import Path

RUNS = Path("runs") / "device"


def unpack(files_at: Path, dest: Path) -> list[Path]:
    """Extract every run archive under ``files_at`` into ``dest``; return the run folders."""
    for archive in sorted(files_at.glob("*.tar.gz")):
        if archive.name == "logs.tar.gz":
            continue
        with tarfile.open(archive) as tar:
            tar.extractall(dest, filter="data")
    return sorted(p for p in dest.iterdir() if (p / "command.txt").is_file()) if dest.is_dir() else []


def wandb_id(run: Path) -> str | None:
    """The W&B run id the run logged under, if it logged to W&B (its ``wandb_run_id`` file)."""
    path = run / "wandb_run_id"
    run_id = path.read_text().strip() if path.is_file() else ""
    if not run_id:
        print(f"{run.name}: logged no W&B run (CSV only); the card gets no W&B run id")
    return run_id or None


def hardware_of(exit_info: dict, shared_by: int) -> str:
    device = exit_info.get("device_name") or exit_info.get("device", "?")
    return f"1x {device} shared by {shared_by} concurrent zoo train runs (bench/device/run.sh)"


def budget_of(command: str, info: dict) -> str:
    """"5.5 min of training (--max-minutes), 6.3 min in all" from the zoo train command and the exit record."""
    words = shlex.split(command)
    minutes = words[words.index("--max-minutes") + 1] if "--max-minutes" in words else "?"
    return f"{minutes} min of training (--max-minutes), {info.get('wall_s', 0) / 60:.1f} min in all with start-up"


def device_notes(model_id: str, command: str, hardware: str, generator_steps: int | None, epochs: float) -> str:
    """The notes of a GAN trained on a lent GPU: its budget beside the papers', and the FID protocol's caveat."""
    paper_budget = ("the WGAN-GP reference code runs 200k generator iterations" if model_id.startswith("wgan-gp")
                    else "Lucic et al. report the best FID of a large hyper-parameter search per loss")
    return (f"Trained by `{command}` on {hardware}: {generator_steps} generator steps ({epochs} epochs); "
            f"{paper_budget}. FID uses 500 generated images against 1,000 real ones (Inception on CPU), which biases "
            "FID upward: compare the models within this protocol (KID is unbiased), not with the papers' 10k-sample "
            "FIDs.")


def gan_card(run: Path, info: dict, command: str, run_id: str | None, hardware: str, evaluate: bool) -> dict:
    import torch

    from bench.gan import shipping
    from bench.seeds import load_net

    ckpt = torch.load(run / "weights.ckpt", map_location="cpu", weights_only=True)
    steps = ckpt.get("gan_steps", {})
    batch = (ckpt.get("datamodule_hyper_parameters") or {}).get("batch_size") or shipping.recipe_batch_size(run.name)
    scores = shipping.measure(load_net(run / "weights.ckpt"), run.name) if evaluate else \
        {"fid": float("nan"), "kid": float("nan"), "kid_std": float("nan")}
    epochs = shipping.epochs_seen(run.name, steps.get("critic", 0), batch)
    training = {"hardware": hardware, "wall_time": budget_of(command, info),
                "epochs": epochs, "generator_steps": steps.get("generator"), "critic_steps": steps.get("critic"),
                "global_step": ckpt.get("global_step"), "batch_size": batch, "wandb_run_id": run_id}
    notes = device_notes(run.name, command, hardware, steps.get("generator"), epochs)
    return shipping.build_meta(run.name, scores, training, command, notes)


def mpnn_card(run: Path, info: dict, command: str, run_id: str | None, hardware: str, evaluate: bool) -> dict:
    from bench.molecules.qm9_card import card_meta

    return card_meta(run / "weights.ckpt", command, hardware, info.get("wall_s", 0) / 60, run_id,
                     max_molecules=None if evaluate else 50)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files_at", type=Path, help="the folder holding the files run.sh wrote to $OUT")
    parser.add_argument("--ids", nargs="*", default=None, help="only these run ids")
    parser.add_argument("--no-eval", action="store_true", help="skip the metrics (rehearsal): cards get NaN")
    parser.add_argument("--export", action="store_true", help="ship each measured run with zoo export")
    parser.add_argument("--force", action="store_true", help="with --export: ship a GAN even if its FID is worse")
    args = parser.parse_args(argv)
    if args.export and args.no_eval:
        parser.error("--export ships measured numbers; drop --no-eval")

    from bench.gan import shipping

    dest = RUNS / args.files_at.resolve().name
    runs = [r for r in unpack(args.files_at, dest) if args.ids is None or r.name in args.ids]
    if not runs:
        raise SystemExit(f"import_results: no run archives (*.tar.gz with <id>/command.txt) under {args.files_at}")
    for run in runs:
        info = json.loads((run / "exit.json").read_text()) if (run / "exit.json").is_file() else {}
        command = (run / "command.txt").read_text().strip()
        if info.get("rc", 0) != 0 or not (run / "weights.ckpt").is_file():
            print(f"{run.name}: the run failed (exit {info.get('rc')}); see {run / 'train.log'}")
            continue
        run_id = wandb_id(run)
        hardware = hardware_of(info, len(runs))
        build = gan_card if run.name in shipping.GAN_IDS else mpnn_card
        meta = build(run, info, command, run_id, hardware, not args.no_eval)
        card = run / "card.json"
        card.write_text(shipping.dump(meta) + "\n")
        headline = meta["metrics"][0]
        print(f"{run.name}: {headline['name']} {headline['value']} (W&B {run_id}); card fields {card}", flush=True)
        if args.export:
            if run.name in shipping.GAN_IDS:
                shipping.ship(run / "weights.ckpt", meta, force=args.force)
            else:
                from zoo.export import export_checkpoint

                export_checkpoint(run / "weights.ckpt", meta)
        else:
            print(f"  ship with: zoo export {shlex.quote(str(run / 'weights.ckpt'))} --meta {shlex.quote(str(card))}")
    print(f"run folders: {dest}/" + ("" if args.export else "; the repository was not changed (--export ships)"))


if __name__ == "__main__":
    main()
