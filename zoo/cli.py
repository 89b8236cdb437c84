"""The ``zoo`` command: list | info | sample | predict | eval | train | export | push | cards.

Each subcommand is a thin shell over the library: anything it does can be done from Python with ``zoo.*``.
Errors the user can fix (unknown id, missing data, bad checkpoint, malformed recipe) print one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from zoo.data.root import DataNotFoundError
from zoo.export import ExportError
from zoo.hub import CheckpointError
from zoo.registry import UnknownModelError

USER_ERRORS = (UnknownModelError, DataNotFoundError, CheckpointError, ExportError, ValueError, FileNotFoundError)


def cmd_list(args: argparse.Namespace) -> None:
    from zoo.registry import get_pretrained_cfg, list_models

    for model_id in list_models(args.pattern):
        cfg = get_pretrained_cfg(model_id)
        first = cfg.metrics[0] if cfg.metrics else None
        score = f"{first.name}={first.value:.4g}{' ' + first.unit if first.unit else ''}" if first else ""
        print(f"{model_id:24s} {cfg.method[:40]:40s} {cfg.dataset:16s} {score}")


def cmd_info(args: argparse.Namespace) -> None:
    from zoo.registry import get_pretrained_cfg

    print(json.dumps(get_pretrained_cfg(args.id).to_dict(), indent=2))


def cmd_eval(args: argparse.Namespace) -> None:
    from zoo.evaluation import evaluate
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg(args.id)
    results = evaluate(args.id, root=args.data_root)
    print(f"{args.id}: recomputed on {cfg.dataset} ({cfg.split})")
    print(f"{'metric':28s} {'now':>12s} {'card':>12s} {'paper':>12s}")
    for m in cfg.metrics:
        paper = next((p for p in cfg.paper_results if p.name == m.name), None)
        now = results.get(m.name)
        print(f"{m.name + (' (' + m.unit + ')' if m.unit else ''):28s} "
              f"{'–' if now is None else f'{now:.4f}':>12s} {m.value:>12.4f} "
              f"{'–' if paper is None else f'{paper.value:.4f}':>12s}")
    if args.json:
        print(json.dumps(results))


def cmd_sample(args: argparse.Namespace) -> None:
    import torch

    from zoo.hub import load

    model = load(args.id)
    if not hasattr(model, "sample"):
        raise ValueError(f"{args.id} is not a generative model (it has no sample()); try `zoo predict` or `zoo eval`")
    with torch.no_grad():
        if args.interpolate_to is not None:
            if not hasattr(model, "interpolate"):
                raise ValueError(f"{args.id} has no latent interpolation")
            samples = model.interpolate(args.seed, args.interpolate_to, steps=args.n)
        else:
            samples = model.sample(args.n, seed=args.seed)
    if isinstance(samples, torch.Tensor) and samples.dim() == 4:
        from zoo.images import save_grid

        out = Path(args.out or f"{args.id}-samples.png")
        save_grid(samples, out, nrow=args.nrow)
        print(f"wrote {samples.shape[0]} samples of shape {tuple(samples.shape[1:])} to {out}")
        return
    if hasattr(model, "format_samples"):
        lines = model.format_samples(samples)
    else:
        lines = [str(s) for s in samples]
    text = "\n".join(lines)
    if args.out:
        from zoo.hub import write_text_atomic

        write_text_atomic(args.out, text + "\n")
        print(f"wrote {len(lines)} samples to {args.out}")
    else:
        print(text)


def cmd_predict(args: argparse.Namespace) -> None:
    import torch

    from zoo.hub import load
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg(args.id)
    model = load(args.id)
    if not hasattr(model, "predict_smiles"):
        raise ValueError(f"{args.id} does not predict from SMILES; `zoo info {args.id}` describes its inputs")
    with torch.no_grad():
        predictions = model.predict_smiles(args.smiles)
    names = cfg.extra.get("target_names", ["prediction"])
    units = cfg.extra.get("units", [""] * len(names))
    for smiles, row in zip(args.smiles, predictions):
        values = row.tolist() if hasattr(row, "tolist") else [row]
        values = values if isinstance(values, list) else [values]
        shown = ", ".join(f"{n} = {v:.4g} {u}".rstrip() for n, v, u in zip(names, values, units))
        print(f"{smiles}\t{shown}")


def cmd_train(args: argparse.Namespace, extra: list[str]) -> None:
    from zoo.training import train

    train(args.recipe, extra)


def cmd_export(args: argparse.Namespace) -> None:
    from zoo.export import export_checkpoint

    meta_path = Path(args.meta)
    if not meta_path.is_file():
        raise FileNotFoundError(f"metadata file {meta_path} not found; it holds the card fields (see zoo/registry.py)")
    meta = json.loads(meta_path.read_text())
    if args.id:
        meta["id"] = args.id
    cfg = export_checkpoint(args.checkpoint, meta)
    print(f"exported {cfg.id}: checkpoints/{cfg.id}/ (sha256 {cfg.sha256[:12]}…) and zoo/pretrained/{cfg.id}.json")


def cmd_push(args: argparse.Namespace) -> None:
    from zoo.push import push

    revision = push(args.id, args.repo_id, private=args.private)
    print(f"pushed {args.id} to {args.repo_id} at revision {revision}; recorded in zoo/pretrained/{args.id}.json")


def cmd_cards(args: argparse.Namespace) -> None:
    from zoo.cards import stale_cards, write_cards

    if args.check:
        stale = stale_cards()
        if stale:
            raise ValueError("out of date: " + ", ".join(map(str, stale)) + ". Run `zoo cards` to regenerate.")
        print("cards and MODEL_CARDS.md are in sync with the registry")
        return
    written = write_cards()
    print("\n".join(f"wrote {p}" for p in written) or "cards already in sync")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list pretrained ids")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style pattern, e.g. 'gcn-*'")
    p.set_defaults(fn=cmd_list)

    p = sub.add_parser("info", help="print a pretrained entry")
    p.add_argument("id")
    p.set_defaults(fn=cmd_info)

    p = sub.add_parser("eval", help="recompute a checkpoint's card metrics on the real data")
    p.add_argument("id")
    p.add_argument("--data-root", "--data.root", dest="data_root", default=None)
    p.add_argument("--json", action="store_true", help="also print the results as JSON")
    p.set_defaults(fn=cmd_eval)

    p = sub.add_parser("sample", help="sample from a generative model")
    p.add_argument("id")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="PNG grid for images; text file otherwise (default: print)")
    p.add_argument("--nrow", type=int, default=8)
    p.add_argument("--interpolate-to", type=int, default=None, metavar="SEED",
                   help="instead of --n samples, --n images along the latent path from --seed to SEED")
    p.set_defaults(fn=cmd_sample)

    p = sub.add_parser("predict", help="predict molecular properties from SMILES")
    p.add_argument("id")
    p.add_argument("--smiles", nargs="+", required=True)
    p.set_defaults(fn=cmd_predict)

    p = sub.add_parser("train", help="run a recipe (LightningCLI options after it), resuming if interrupted")
    p.add_argument("recipe")
    p.set_defaults(fn=cmd_train, passthrough=True)

    p = sub.add_parser("export", help="Lightning checkpoint -> checkpoints/<id>/ + registry entry + card")
    p.add_argument("checkpoint")
    p.add_argument("--meta", required=True, help="JSON file with the card fields (PretrainedCfg)")
    p.add_argument("--id", default=None)
    p.set_defaults(fn=cmd_export)

    p = sub.add_parser("push", help="upload checkpoints/<id>/ to the Hugging Face Hub and pin the revision")
    p.add_argument("id")
    p.add_argument("--repo-id", required=True)
    p.add_argument("--private", action="store_true")
    p.set_defaults(fn=cmd_push)

    p = sub.add_parser("cards", help="regenerate every model card and MODEL_CARDS.md")
    p.add_argument("--check", action="store_true", help="fail if any card is out of date")
    p.set_defaults(fn=cmd_cards)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] == "train":  # everything after the recipe goes to LightningCLI untouched
        args, extra = parser.parse_args(argv[:2]), argv[2:]
    else:
        args, extra = parser.parse_args(argv), []
    try:
        if getattr(args, "passthrough", False):
            args.fn(args, extra)
        else:
            args.fn(args)
    except USER_ERRORS as err:
        print(f"zoo {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
