"""The ``zoo`` command: list | info | sample | predict | eval | train | export | push | cards | data.

Each subcommand is a thin shell over the library: anything it does can be done from Python with ``zoo.*``.
Errors the user can fix (unknown id, missing data, bad checkpoint, malformed recipe) print one line and exit 2: the
ones the zoo raises itself (:func:`raised_by_the_zoo`) and those of the system (files, network, memory). Any other
exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path

LIGHTNING_PREFIXES = ("--trainer", "--model", "--data", "--seed_everything", "--ckpt_path", "--optimizer",
                      "--lr_scheduler", "--config", "--print_config")


LIST_WIDTH = 100  # `zoo list` fits a 100-column terminal: long cells wrap inside their column


def cmd_list(args: argparse.Namespace) -> None:
    from zoo.cards import without_citations, without_details  # shortened; the full text is in `zoo info ID`
    from zoo.registry import get_pretrained_cfg, list_models

    cfgs = [get_pretrained_cfg(i) for i in list_models(args.pattern)]
    if not cfgs:
        print(f"no id matches {args.pattern!r}; `zoo list` shows them all")
        return
    statuses = {c.id: getattr(c, "status", "") for c in cfgs}  # e.g. "failed": a checkpoint kept as a record
    rows = [["id", "method", "dataset", "headline metric"]]
    for cfg in cfgs:
        first = cfg.metrics[0] if cfg.metrics else None
        score = f"{first.name} {first.value:.4g}{' ' + first.unit if first.unit else ''}" if first else "–"
        rows.append([cfg.id, without_citations(cfg.method), without_details(cfg.dataset), score])
    marks = ["", *("!" if statuses[c.id] else "" for c in cfgs)] if any(statuses.values()) else None
    print(format_table(rows, LIST_WIDTH, marks))
    for cfg in cfgs:
        if statuses[cfg.id]:
            print(f"! {cfg.id}: {statuses[cfg.id]} (`zoo info {cfg.id}` says why)")


def format_table(rows: list[list[str]], width: int, marks: list[str] | None = None) -> str:
    """Left-aligned columns that fit ``width``: the widest column gives way first; long cells wrap in place.

    The first column is never wrapped (ids are copied from it); ``marks`` adds a one-character first column.
    """
    gap = 2
    natural = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    widths = list(natural)
    room = width - gap * (len(widths) - 1) - (2 if marks else 0)  # columns left for the cells
    while sum(widths) > room and max(widths[1:]) > 8:
        widest = max(range(1, len(widths)), key=lambda i: widths[i])
        widths[widest] -= 1
    lines = []
    for n, row in enumerate(rows):
        cells = [[row[0]]] + [textwrap.wrap(c, w) or [""] for c, w in zip(row[1:], widths[1:])]
        for k in range(max(len(c) for c in cells)):
            parts = [(c[k] if k < len(c) else "").ljust(w) for c, w in zip(cells, widths)]
            prefix = f"{marks[n] if k == 0 else '':1s} " if marks else ""
            lines.append((prefix + (" " * gap).join(parts)).rstrip())
    return "\n".join(lines)


def cmd_info(args: argparse.Namespace) -> None:
    from zoo.registry import get_pretrained_cfg

    print(json.dumps(get_pretrained_cfg(args.id).to_dict(), indent=2))


def cmd_eval(args: argparse.Namespace) -> None:
    """Score a shipped id, or a run (folder or checkpoint) with the protocol of the id its recipe trains."""
    from zoo.evaluation import evaluate, evaluate_checkpoint
    from zoo.registry import get_pretrained_cfg

    run, scored_by = _run_and_protocol(args.id, args.protocol)
    cfg = get_pretrained_cfg(scored_by)
    only = None
    if args.only:
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        unknown = sorted(only - {m.name for m in cfg.metrics})
        if unknown:
            raise ValueError(f"{cfg.id}'s card has no metric {', '.join(unknown)}; it has "
                             f"{', '.join(m.name for m in cfg.metrics)}")
    if run is None:
        results = evaluate(args.id, root=args.data_root, only=only)
        print(f"{args.id}: recomputed on {cfg.dataset} ({cfg.split})")
    else:
        results = evaluate_checkpoint(run.checkpoint, scored_by, root=args.data_root, only=only)
        print(f"{run.checkpoint}: scored with {scored_by}'s protocol on {cfg.dataset} ({cfg.split}); "
              f"'card' is {scored_by}'s")
    print(f"{'metric':28s} {'now':>12s} {'card':>12s} {'paper':>12s}")
    for m in cfg.metrics:
        paper = next((p for p in cfg.paper_results if p.name == m.name), None)
        now = results.get(m.name)
        print(f"{m.name + (' (' + m.unit + ')' if m.unit else ''):28s} "
              f"{'–' if now is None else f'{now:.4f}':>12s} {m.value:>12.4f} "
              f"{'–' if paper is None else f'{paper.value:.4f}':>12s}")
    if args.json:
        print(json.dumps(results))


def _run_and_protocol(name: str, protocol: str | None):
    """``(run, id whose protocol scores it)`` for a run folder or checkpoint; ``(None, name)`` for an id."""
    from zoo.export import read_lightning_checkpoint
    from zoo.run_folder import looks_like_run, open_run, protocol_id

    if not looks_like_run(name):
        if protocol is not None:
            raise ValueError(f"--protocol chooses how a run is scored; {name} is scored by its own card's protocol")
        return None, name
    run = open_run(name)
    if protocol is not None:
        return run, protocol
    architecture, model_args, _ = read_lightning_checkpoint(run.checkpoint)
    return run, protocol_id(run, architecture, model_args)


MAX_GRID_IMAGES = 4096  # a 64 x 64 grid; --n 100000 images would make a PNG of gigabytes
SAMPLE_PROGRESS_FROM = 1000  # zoo sample shows progress (on stderr) above this many samples


def cmd_sample(args: argparse.Namespace) -> None:
    import inspect

    import torch

    from zoo.hub import load

    model = load(args.id)
    if not hasattr(model, "sample"):
        raise ValueError(f"{args.id} is not a generative model (it has no sample()); try `zoo predict` or `zoo eval`")
    if _makes_images(model) and args.n > MAX_GRID_IMAGES:
        raise ValueError(f"--n {args.n} images would make one PNG grid of {args.n} images; use --n <= "
                         f"{MAX_GRID_IMAGES} (several seeds give more)")
    progress = f"sampling {args.id}" if args.n > SAMPLE_PROGRESS_FROM else None
    if args.interpolate_to is None and hasattr(model, "sample_batches") and not _makes_images(model):
        printed_on_the_terminal = args.out is None and sys.stdout.isatty() and sys.stderr.isatty()
        _stream_lines(model, model.sample_batches(args.n, seed=args.seed), args.out,
                      None if printed_on_the_terminal else progress, args.n)  # no bar amid the printed lines
        return
    with torch.no_grad():
        if args.interpolate_to is not None:
            if not hasattr(model, "interpolate"):
                raise ValueError(f"{args.id} has no latent interpolation")
            samples = model.interpolate(args.seed, args.interpolate_to, steps=args.n)
        elif progress and "progress" in inspect.signature(model.sample).parameters:
            samples = model.sample(args.n, seed=args.seed, progress=progress)  # nothing is printed meanwhile
        else:
            samples = model.sample(args.n, seed=args.seed)
    if isinstance(samples, torch.Tensor) and samples.dim() == 4:
        from zoo.image_grid import save_grid

        out = Path(args.out or f"{args.id}-samples.png")
        save_grid(samples, out, nrow=args.nrow)
        print(f"wrote {samples.shape[0]} samples of shape {tuple(samples.shape[1:])} to {out}")
        return
    _stream_lines(model, [samples], args.out)


def _makes_images(model) -> bool:
    return getattr(model, "kind", "image") == "image" and getattr(model, "image_shape", None) is not None


def _stream_lines(model, batches, out: str | None, progress: str | None = None, total: int | None = None) -> None:
    """Write the text form of each batch of samples as it comes (to ``out`` atomically, or to stdout), so a
    large ``--n`` never holds more than one batch; ``progress`` names the stage shown on stderr (of ``total``)."""
    from contextlib import nullcontext

    from zoo.io import atomic_open
    from zoo.progress import stage

    count = 0
    with atomic_open(out) if out else nullcontext(sys.stdout) as f, stage(progress, total, "samples") as bar:
        for batch in batches:
            lines = model.format_samples(batch) if hasattr(model, "format_samples") else [str(s) for s in batch]
            f.write("".join(line + "\n" for line in lines))
            count += len(batch)
            bar.update(len(batch))
    if out:
        print(f"wrote {count} samples to {out}")


def cmd_predict(args: argparse.Namespace) -> None:
    """Stream the molecules (``--smiles`` or ``--input``) through :class:`zoo.predict.SmilesPredictor` in batches;
    write a CSV (``--output``, atomically) or one line per molecule. Inputs are checked before the model loads."""
    import time

    from zoo.hub import load
    from zoo.molecule_files import Row, open_table
    from zoo.predict import SmilesPredictor
    from zoo.registry import get_pretrained_cfg

    cfg = get_pretrained_cfg(args.id)
    if args.smiles_column is not None and args.input is None:
        raise ValueError("--smiles-column names the SMILES column of an --input CSV; with --smiles there is none")
    table = open_table(args.input, args.smiles_column) if args.input else None
    output = Path(args.output) if args.output else None
    if output is not None and output.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(output))
    if output is not None and table is not None and output.resolve() == table.path.resolve():
        raise ValueError(f"--output {output} is the input file; write the predictions to another file")
    total = table.count() if table else len(args.smiles)
    if total == 0:
        raise ValueError(f"{table.path} holds no molecules")
    predictor = SmilesPredictor(load(args.id), cfg, args.batch_size)
    columns = (table.columns if table else ["smiles"]) + predictor.columns + ["error", "warning"]
    if output is not None and len(set(columns)) < len(columns):
        clash = sorted({c for c in columns if columns.count(c) > 1})
        raise ValueError(f"the input already has the column(s) {', '.join(map(repr, clash))} that the output "
                         "adds; rename them in the input")
    size = args.batch_size
    batches = table.batches(size) if table else ([Row([s], s) for s in args.smiles[i:i + size]]
                                                 for i in range(0, total, size))
    if table is not None and not sys.stderr.isatty():  # a log gets one line per stage, no progress bar
        print(f"zoo predict: {total} molecules from {table.path} with {args.id}", file=sys.stderr)
    start = time.perf_counter()
    with _prediction_sink(output, columns, predictor) as write:
        bar = sys.stderr.isatty() and (output is not None or not sys.stdout.isatty())  # never amid printed lines
        counts = _predict_rows(predictor, batches, total, write, f"predicting with {args.id}" if bar else None)
        if counts["predicted"] == 0:
            raise ValueError(f"none of the {total} SMILES could be predicted ({counts['first_error']})")
    rate = total / max(time.perf_counter() - start, 1e-9)
    failed = total - counts["predicted"]
    summary = (f"{counts['predicted']} of {total} molecules predicted, {failed} error{'s' * (failed != 1)}, "
               f"{counts['warned']} with warnings ({rate:.0f} molecules/s)")
    if output is not None:
        print(f"wrote {output}: {summary}")
    elif table is not None:
        print(f"zoo predict: {summary}", file=sys.stderr)


def _predict_rows(predictor, batches, total: int, write, progress: str | None) -> dict:
    """Predict the rows a batch at a time, hand each (row, result) to ``write``; ``progress`` names the
    :func:`zoo.progress.stage` shown on stderr (None: nothing shown)."""
    from zoo.predict import Prediction
    from zoo.progress import stage

    counts = {"predicted": 0, "warned": 0, "first_error": ""}
    with stage(progress, total, "mol") as bar:
        for batch in batches:
            readable = [r for r in batch if not r.problem]
            predicted = iter(predictor.predict([r.smiles for r in readable]))
            for row in batch:
                result = Prediction(row.smiles, error=row.problem) if row.problem else next(predicted)
                counts["predicted"] += not result.error
                counts["warned"] += bool(result.warnings)
                counts["first_error"] = counts["first_error"] or (result.error and f"{row.smiles!r}: {result.error}")
                write(row, result)
            bar.update(len(batch))
    return counts


@contextmanager
def _prediction_sink(output: Path | None, columns: list[str], predictor):
    """``write(row, result)``: a CSV row (input columns, targets, error, warning) into a temporary sibling of
    ``output`` that replaces it only when every molecule is written; without ``output``, a line on stdout."""
    import csv

    from zoo.io import atomic_path
    from zoo.predict import csv_cells, text_line

    if output is None:
        yield lambda row, result: print(text_line(result, predictor.target_names, predictor.units))
        return
    targets = len(predictor.columns)
    with atomic_path(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        yield lambda row, result: writer.writerow(row.fields + csv_cells(result, targets))


def cmd_train(args: argparse.Namespace, extra: list[str]) -> None:
    from zoo.training import fit

    run = fit(args.recipe, extra, run_name=args.run_name, fresh=args.fresh, device=args.device,
              precision=args.precision, max_minutes=args.max_minutes, cpu_minutes=args.cpu_minutes,
              compile=args.compile, export_meta=args.export)
    from zoo.run_end import format_test_table

    print("\n".join(run.stop))
    if run.test_metrics:
        print(format_test_table(run.test_metrics, run.weights_checkpoint))
    if run.exported is not None:
        print(f"exported {run.exported.id} to checkpoints/{run.exported.id}/")
    else:
        print(f"  Score it with its card's protocol: zoo eval {run.dir}; ship it: zoo export {run.dir} --id NEW-ID")


def cmd_reproduce(args: argparse.Namespace, extra: list[str]) -> None:
    from zoo.reproduce import print_comparison, reproduce

    result = reproduce(args.id, extra, data_root=args.data_root, device=args.device, precision=args.precision,
                       max_minutes=args.max_minutes, cpu_minutes=args.cpu_minutes, fresh=args.fresh,
                       export=args.export)
    print_comparison(result)


def cmd_export(args: argparse.Namespace) -> None:
    """Ship a run (folder or checkpoint) as ``--id``: card fields from the run and its protocol, ``--meta`` over
    them (:mod:`zoo.export_fields`); every check that needs no weights runs before the evaluation."""
    from zoo.evaluation import evaluate_checkpoint
    from zoo.export import check_target, export_checkpoint, read_lightning_checkpoint
    from zoo.export_fields import CARD_FIELDS, fields_of_run, missing_card_fields
    from zoo.registry import get_pretrained_cfg
    from zoo.run_folder import open_run, protocol_id

    meta = _read_meta_file(args.meta) if args.meta else {}
    new_id = args.id if args.id is not None else meta.get("id")  # `--id ""` is an id to check (and refuse)
    if new_id is None:
        raise ValueError("pass --id NEW-ID (<method>-<dataset>): the id to ship the run under")
    run = open_run(args.checkpoint)
    architecture, model_args, _ = read_lightning_checkpoint(run.checkpoint)
    check_target(new_id, architecture, model_args, args.replace)
    described = all(key in meta for key in CARD_FIELDS)  # a full --meta for a bare checkpoint: no protocol needed
    scored_by = args.protocol or (None if described and run.recipe is None else
                                  protocol_id(run, architecture, model_args))
    protocol = get_pretrained_cfg(scored_by) if scored_by else None
    measured = None
    if protocol is not None and not args.no_eval and "metrics" not in meta:
        print(f"zoo export: scoring {run.checkpoint} with {scored_by}'s protocol ({protocol.evaluator}); "
              "--no-eval skips this", file=sys.stderr, flush=True)
        measured = evaluate_checkpoint(run.checkpoint, scored_by, root=args.data_root)
    fields = fields_of_run(run, new_id, protocol, measured)
    fields.update({**meta, "id": new_id, "training": {**fields["training"], **(meta.get("training") or {})}})
    missing = missing_card_fields(fields)
    if missing:
        raise ValueError(f"the card's {', '.join(missing)} are not known for {run.checkpoint}: pass --protocol ID "
                         "(a shipped id whose card describes this model) or --meta META.json with them")
    cfg = export_checkpoint(run.checkpoint, fields, replace=args.replace)
    print(f"exported {cfg.id}: checkpoints/{cfg.id}/ (sha256 {cfg.sha256[:12]}…) and zoo/pretrained/{cfg.id}.json")


def _read_meta_file(path: str) -> dict:
    """A ``--meta`` JSON object of card fields."""
    meta_path = Path(path)
    if not meta_path.is_file():
        raise FileNotFoundError(f"metadata file {meta_path} not found; it holds the card fields (see zoo/registry.py)")
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as err:
        raise ValueError(f"{meta_path} is not JSON ({err}); it holds the card fields (see zoo/registry.py)") from err
    if not isinstance(meta, dict):
        raise ValueError(f"{meta_path} holds a JSON {type(meta).__name__}, not an object of card fields")
    return meta


def cmd_push(args: argparse.Namespace) -> None:
    from zoo.push import push

    revision = push(args.id, args.repo_id, private=args.private)
    print(f"pushed {args.id} to {args.repo_id} at revision {revision}; recorded in zoo/pretrained/{args.id}.json")


def cmd_cards(args: argparse.Namespace) -> None:
    from zoo.cards import refuse_config_conflicts, stale_cards, write_cards

    if args.curves or not args.check:  # it writes: finish an interrupted export first, then check before writing
        from zoo.hub import recover_interrupted

        recover_interrupted()
        refuse_config_conflicts()
    if args.curves:
        from zoo.hub import checkpoints_dir
        from zoo.registry import get_pretrained_cfg
        from zoo.run_metrics import metrics_from_run, write_metrics_csv

        model_id, run_dir = args.curves
        folder = checkpoints_dir() / get_pretrained_cfg(model_id).id
        if not folder.is_dir():
            raise FileNotFoundError(f"{folder} does not exist: export the checkpoint first (`zoo export`)")
        print(f"wrote {write_metrics_csv(folder, metrics_from_run(run_dir))} from the logged metrics of {run_dir}")
    if args.check:
        stale = stale_cards()
        if stale:
            raise ValueError("out of date: " + ", ".join(map(str, stale)) + ". Run `zoo cards` to regenerate.")
        print("cards and MODEL_CARDS.md are in sync with the registry")
        return
    written = write_cards()
    print("\n".join(f"wrote {p}" for p in written) or "cards already in sync")


PREDICT_EPILOG = """\
examples:
  zoo predict nfp-esol --smiles CCO c1ccccc1
  zoo predict nfp-esol --input docs/examples/molecules.csv --output predictions.csv
  zoo predict mpnn-qm9-mu --input docs/examples/molecules.smi --output mu.csv --batch-size 256

A SMILES holding whitespace, control or non-ASCII characters is refused with an error for that molecule (RDKit
would read only its first word). A magnitude (the dipole moment mu) is never negative: its prediction is
clamped at 0. On a terminal a progress bar shows on stderr; in a log, one line when it starts and one at the end.
"""


def cmd_data_list(args: argparse.Namespace) -> None:
    from zoo.data.catalog import status
    from zoo.data.root import data_root

    print(f"data root: {data_root(args.data_root)}")
    rows = [["name", "present", "size", "folder"]]
    for s in status(args.data_root):
        present = "yes" if s.present == s.total else "no" if not s.present else f"{s.present}/{s.total} files"
        rows.append([s.name, present, f"{s.size_bytes / 1e6:.3g} MB" if s.present else "–", str(s.folder)])
    print(format_table(rows, LIST_WIDTH))
    print("`zoo data get NAME` fetches one (celeba: it says what to download by hand)")


def cmd_data_get(args: argparse.Namespace) -> None:
    from zoo.data.catalog import DATASETS, disk_size, find, get

    names = [n for n in DATASETS if n != "celeba"] if args.names == ["all"] else args.names
    datasets = [find(name) for name in names]  # every name is checked before the first download
    for dataset in datasets:
        files = get(dataset.name, args.data_root, source=getattr(args, "from"))
        size = sum(disk_size(f) for f in files)
        print(f"{dataset.name}: ready, {len(files)} file{'s' * (len(files) != 1)} ({size / 1e6:.3g} MB) under "
              f"{files[0].parent}")


TRAIN_EPILOG = """\
run folders:
  runs/<method>/<recipe>/<config-hash>: the hash covers the recipe and every option but the budget
  (--max-minutes, --cpu-minutes, --trainer.max_epochs/max_steps/max_time), so the same command resumes from its
  checkpoints/last.ckpt (same W&B run), the same command with a larger budget continues it, and a changed
  option starts a new run. The run ends with the recipe's test metrics (if it has a test split) and says
  whether it completed or where a limit stopped it.
  --run-name NAME picks the folder name; --fresh moves an existing folder aside (never deletes it);
  --trainer.default_root_dir=DIR picks any folder. A folder in use by another run is refused (--fresh too).
  A damaged last.ckpt is named with the intact checkpoints beside it; --ckpt_path=FILE resumes from one.
  Recipes and options may name only classes in zoo, lightning, torch, torch_geometric and torchmetrics.

LightningCLI options follow the recipe, e.g.:
  zoo train recipes/gcn/cora.yaml --trainer.max_epochs=300 --model.init_args.lr=0.005
  zoo train recipes/gcn/finetune-citeseer.yaml --model.init_args.lr=0.0005
  zoo train recipes/gan/nsgan-mnist.yaml --device gpu --precision bf16-mixed --max-minutes 10
The fine-tuning recipe starts from gcn-citeseer (--model.init_args.init_from=ID names any id whose
architecture and model_args are the recipe's). Then score and ship the run:
  zoo eval runs/gcn/finetune-citeseer/<hash>
  zoo export runs/gcn/finetune-citeseer/<hash> --id gcn-citeseer-ft
"""

EVAL_EPILOG = """\
examples (<hash>: the run folder `zoo train` printed):
  zoo eval gcn-cora
  zoo eval runs/gcn/cora/<hash>                   a run of recipes/gcn/cora.yaml: gcn-cora's protocol
  zoo eval runs/gcn/cora/<hash>/checkpoints/last.ckpt
  zoo eval runs/gcn/finetune-citeseer/<hash> --protocol gcn-citeseer
"""

EXPORT_EPILOG = """\
examples (<hash>: the run folder `zoo train` printed):
  zoo export runs/gcn/cora/<hash> --id gcn-cora-mine
  zoo export runs/gcn/cora/<hash>/checkpoints/last.ckpt --id gcn-cora-mine --no-eval
  zoo export runs/gcn/finetune-citeseer/<hash> --id gcn-citeseer-ft --protocol gcn-citeseer
--meta META.json (a JSON object of registry fields, zoo/registry.py) overrides any derived field, e.g.
{"notes": "..."}; an id shipped with another model is refused unless --replace.
"""


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--fresh", action="store_true", help="start again: move an existing run folder aside")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "gpu", "cuda", "mps"],
                   help="where to train (trainer.accelerator; default: the recipe's, usually auto)")
    p.add_argument("--precision", default=None, metavar="P",
                   help="trainer.precision, e.g. bf16-mixed or 32-true (default: the recipe's)")
    p.add_argument("--max-minutes", type=float, default=None, metavar="M",
                   help="stop after M minutes of wall-clock time (trainer.max_time); the same command with a larger M "
                        "continues the run")
    p.add_argument("--cpu-minutes", type=float, default=None, metavar="M",
                   help="stop after M minutes of the training process's CPU time (a fair limit on a shared machine); "
                        "a larger M continues the run")


def positive_int(text: str) -> int:
    """argparse type for counts: ``--n 0`` or ``--n -1`` is an error, not an empty (or exit-0) run."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="list pretrained ids")
    p.add_argument("pattern", nargs="?", default="*", help="shell-style pattern, e.g. 'gcn-*'")
    p.set_defaults(fn=cmd_list)

    p = sub.add_parser("info", help="print a pretrained entry")
    p.add_argument("id")
    p.set_defaults(fn=cmd_info)

    p = sub.add_parser(
        "eval", help="recompute a checkpoint's card metrics on the real data, or score a run of yours",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EVAL_EPILOG,
        description="Recompute the card metrics of a shipped id, or score a `zoo train` run (its folder or a "
                    "checkpoint) with the protocol of the id its recipe trains.")
    p.add_argument("id", metavar="ID|RUN", help="a shipped id (`zoo list`), a run folder runs/<method>/<recipe>/"
                   "<hash> (its best monitored checkpoint, else last.ckpt) or a checkpoint .ckpt")
    p.add_argument("--protocol", default=None, metavar="ID",
                   help="score a run with this id's protocol (default: the id whose reproduce.recipe is the "
                        "run's recipe)")
    p.add_argument("--data-root", "--data.root", dest="data_root", default=None)
    p.add_argument("--json", action="store_true", help="also print the results as JSON")
    p.add_argument("--only", metavar="NAMES", help="recompute only these metrics (comma-separated card names, "
                   "e.g. fid_quick,kid_quick: a GAN's quick check instead of its 10,000-sample FID)")
    p.set_defaults(fn=cmd_eval)

    p = sub.add_parser("sample", help="sample from a generative model")
    p.add_argument("id")
    p.add_argument("--n", type=positive_int, default=64,
                   help="number of samples (default 64); with --interpolate-to, the number of frames along the "
                        "path, both ends included")
    p.add_argument("--seed", type=int, default=0, help="seed of the latent codes (the path's start with "
                                                       "--interpolate-to)")
    p.add_argument("--out", default=None, help="PNG grid for images; text file otherwise (default: print)")
    p.add_argument("--nrow", type=int, default=8, help="images per row of the grid")
    p.add_argument("--interpolate-to", type=int, default=None, metavar="SEED",
                   help="instead of --n samples, --n frames along the latent path from --seed to SEED")
    p.set_defaults(fn=cmd_sample)

    p = sub.add_parser(
        "predict", help="predict molecular properties from SMILES (arguments, or a CSV/.smi file to a CSV)",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=PREDICT_EPILOG,
        description="Predict every molecule in batches: one result per molecule (an error for one that cannot be "
                    "predicted, warnings when it lies outside the training data), never a failed run.")
    p.add_argument("id")
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--smiles", nargs="+", help="SMILES strings (quote each one)")
    source.add_argument("--input", default=None, metavar="FILE",
                        help="a .csv/.tsv with a SMILES column (its columns are kept) or a .smi file (SMILES, then "
                             "an optional name, per line); .gz too")
    p.add_argument("--smiles-column", default=None, metavar="NAME",
                   help="the SMILES column of the --input CSV (default: the column named smiles, in any case)")
    p.add_argument("--output", default=None, metavar="FILE.csv",
                   help="write a CSV: the input columns, one column per target (name and unit), error, warning; "
                        "it appears only when complete (default: one line per molecule on stdout)")
    p.add_argument("--batch-size", type=positive_int, default=1000, metavar="N",
                   help="molecules per forward pass (default 1000)")
    p.set_defaults(fn=cmd_predict)

    p = sub.add_parser(
        "train", help="run a recipe (LightningCLI options after it), resuming if interrupted", allow_abbrev=False,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Train a recipe through the zoo's one training path (zoo.training.fit).",
        epilog=TRAIN_EPILOG)
    p.add_argument("recipe", help="a LightningCLI YAML under recipes/, e.g. recipes/gcn/cora.yaml")
    _add_run_options(p)
    p.add_argument("--run-name", default=None, metavar="NAME",
                   help="name the run folder runs/<recipe>/NAME instead of the config hash; rerunning with the "
                        "same name resumes it even after option changes")
    p.add_argument("--compile", nargs="?", const="default", default=False, metavar="MODE",
                   choices=["default", "reduce-overhead", "max-autotune"],
                   help="torch.compile the networks (pays on a GPU; checkpoints are unchanged); MODE "
                        "reduce-overhead adds CUDA graphs, for the small models bound by kernel launches")
    p.add_argument("--export", default=None, metavar="META.json",
                   help="when the run ends, export its weights (the best monitored checkpoint, else last.ckpt) to "
                        "checkpoints/<id>/ with these card fields; `zoo export RUN --id NEW` needs none")
    p.set_defaults(fn=cmd_train, passthrough=True)

    p = sub.add_parser(
        "reproduce", allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        help="rerun a card's recipe and evaluate it with the card's protocol, beside the card and the paper",
        description="Reproduce a card: its recipe with its seed and settings through `zoo train`, then its "
                    "evaluation. Output goes to runs/reproduce/...; the repository is not touched unless --export.",
        epilog="Extra LightningCLI options (e.g. --trainer.max_epochs=20) follow the id.")
    p.add_argument("id")
    _add_run_options(p)
    p.add_argument("--data-root", default=None, help="the data root (default: $ZOO_DATA_ROOT)")
    p.add_argument("--export", action="store_true",
                   help="replace the shipped checkpoint and card with the reproduced ones (off by default)")
    p.set_defaults(fn=cmd_reproduce, passthrough=True)

    p = sub.add_parser(
        "export", help="a run (folder or checkpoint) -> checkpoints/<id>/ + registry entry + card",
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EXPORT_EPILOG,
        description="Ship a `zoo train` run as a zoo id. The card is written from the run, no metadata file "
                    "needed: architecture and model_args from the checkpoint; method, dataset, task, paper and "
                    "the metrics' protocol from the shipped id whose recipe the run trains (--protocol names "
                    "another); the metrics' values measured now with that protocol (--no-eval: left out); the "
                    "reproduce field from the run's recipe and options; the W&B run id from the run folder. "
                    "Everything is checked before the first write.")
    p.add_argument("checkpoint", metavar="RUN", help="a run folder runs/<method>/<recipe>/<hash> (its best "
                   "monitored checkpoint, else last.ckpt) or a checkpoint .ckpt")
    p.add_argument("--id", default=None, help="the id to ship under, <method>-<dataset> (default: --meta's)")
    p.add_argument("--meta", default=None, metavar="META.json",
                   help="a JSON object of card fields (zoo/registry.py PretrainedCfg) that override the derived ones")
    p.add_argument("--protocol", default=None, metavar="ID",
                   help="the shipped id whose card fields and evaluation describe the run (default: the id "
                        "whose reproduce.recipe is the run's recipe)")
    p.add_argument("--no-eval", action="store_true",
                   help="do not score the checkpoint now: the card has no metric values (`zoo eval NEW-ID` later)")
    p.add_argument("--data-root", default=None, help="the data root of the evaluation (default: $ZOO_DATA_ROOT)")
    p.add_argument("--replace", action="store_true",
                   help="ship under an id whose registry entry names another architecture or model_args")
    p.set_defaults(fn=cmd_export)

    p = sub.add_parser("push", help="upload checkpoints/<id>/ to the Hugging Face Hub and pin the revision")
    p.add_argument("id")
    p.add_argument("--repo-id", required=True)
    p.add_argument("--private", action="store_true")
    p.set_defaults(fn=cmd_push)

    data = sub.add_parser("data", help="list the datasets under the data root, or fetch one").add_subparsers(
        dest="data_command", required=True)
    p = data.add_parser("list", help="every dataset: whether it is under the data root, where, and its size")
    p.add_argument("--data-root", default=None, help="the data root (default: $ZOO_DATA_ROOT or ~/.cache/zoo/data)")
    p.set_defaults(fn=cmd_data_list)
    p = data.add_parser(
        "get", help="download, verify (sha256) and lay out datasets under the data root",
        description="Fetch each dataset from its canonical source, verify it against the pinned sha256 and lay "
                    "it out as the loaders read it. Files already present are kept. $ZOO_DATA_MIRROR replaces "
                    "the scheme and host of every source; $ZOO_DATA_TIMEOUT (seconds) bounds every wait.")
    p.add_argument("names", nargs="+", metavar="NAME", help="dataset names from `zoo data list`, or 'all'")
    p.add_argument("--data-root", default=None, help="the data root (default: $ZOO_DATA_ROOT or ~/.cache/zoo/data)")
    p.add_argument("--from", default=None, metavar="PATH",
                   help="celeba only: your img_align_celeba.zip (or its folder); the cards' subset is copied "
                        "out of it and verified")
    p.set_defaults(fn=cmd_data_get)

    p = sub.add_parser("cards", help="regenerate every model card and MODEL_CARDS.md")
    p.add_argument("--check", action="store_true", help="fail if any card or figure is out of date")
    p.add_argument("--curves", nargs=2, metavar=("ID", "RUN_DIR"), default=None,
                   help="first keep the metrics a `zoo train` run logged (its CSV logs, RUN_DIR/csv/, or else its "
                        "W&B offline run) as checkpoints/ID/metrics.csv, drawn on the card as curves.png")
    p.set_defaults(fn=cmd_cards)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in ("train", "reproduce"):  # options the zoo does not know go to LightningCLI
        args, extra = parser.parse_known_args(argv)
        unknown = [a for a in extra if a.startswith("-") and not a.startswith(LIGHTNING_PREFIXES)]
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)} (LightningCLI options start with "
                         f"{', '.join(LIGHTNING_PREFIXES)})")
    else:
        args, extra = parser.parse_args(argv), []
    try:
        if getattr(args, "passthrough", False):
            args.fn(args, extra)
        else:
            args.fn(args)
    except KeyboardInterrupt:
        print(f"zoo {args.command}: interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `zoo list | head`: the reader left; not an error (Python docs, "SIGPIPE")
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as err:
        message = describe_error(err)
        if message is None:
            raise
        print(f"zoo {args.command}: error: {message}", file=sys.stderr)
        return 2
    return 0


def describe_error(err: BaseException) -> str | None:
    """One line (no traceback) for an error the user can act on; None for a bug, which keeps its traceback."""
    if isinstance(err, PermissionError):
        return (f"permission denied: {err.filename or err}; choose a path you can write to (or read), or fix "
                "its permissions")
    if isinstance(err, IsADirectoryError):
        return f"{err.filename or err} is a folder, not a file; give a file path inside it"
    if isinstance(err, NotADirectoryError):
        return f"{err.filename or err}: a part of this path is a file, not a folder"
    if _is_out_of_memory(err):
        detail = _one_line(err).split("] err == 0. ")[-1]  # drop the allocator's "[enforce fail at ...]" prefix
        return f"out of memory ({detail}); use a smaller --n or batch size, or a machine with more memory"
    if raised_by_the_zoo(err) or _is_http_error(err) or isinstance(err, OSError):
        return _one_line(err)
    return None


def raised_by_the_zoo(err: BaseException) -> bool:
    """Whether the zoo refused something on purpose: ``err`` is one of the zoo's error classes
    (``UnknownModelError``, ``CheckpointError``, ``TrainingError`` ...), or a ``ValueError`` raised by the zoo's own
    code (the innermost frame of its traceback is a zoo module), whose message is written for the user. A
    ``ValueError`` raised inside another library (torch, numpy, json ...) is a bug and keeps its traceback."""
    if _is_zoo_module(type(err).__module__):
        return True
    if not isinstance(err, ValueError) or err.__traceback__ is None:
        return False
    innermost = err.__traceback__
    while innermost.tb_next is not None:
        innermost = innermost.tb_next
    return _is_zoo_module(innermost.tb_frame.f_globals.get("__name__", ""))


def _is_zoo_module(name: str) -> bool:
    return name == "zoo" or name.startswith("zoo.")


def _is_out_of_memory(err: BaseException) -> bool:
    """Python's ``MemoryError``, PyTorch's ``OutOfMemoryError`` (CUDA), or what PyTorch's CPU allocator raises
    when ``malloc`` fails under a memory limit: a plain ``RuntimeError`` whose text is all that tells it apart."""
    if isinstance(err, MemoryError) or type(err).__name__ == "OutOfMemoryError":
        return True
    text = str(err)
    return isinstance(err, RuntimeError) and "CPUAllocator" in text and (
        "can't allocate memory" in text or "not enough memory" in text)


def _is_http_error(err: BaseException) -> bool:
    module = type(err).__module__
    return module.startswith(("huggingface_hub", "httpx", "requests", "urllib3")) or isinstance(
        err, ConnectionError)


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


if __name__ == "__main__":
    sys.exit(main())
