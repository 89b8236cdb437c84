"""Prediction throughput: ``zoo predict ID --input FILE --output FILE.csv`` against a plain batched loop.

    python bench/predict_throughput.py                      # nfp-esol, the first 10,000 MOSES test molecules
    python bench/predict_throughput.py --molecules 2000 --repeats 1     # a quick look

Both sides start from the same CSV of SMILES (the first ``--molecules`` of MOSES test, ``<data root>/moses/
test.csv.gz``, written to a temporary file with its ``SMILES`` header) and pay ``zoo.load``:

- zoo: ``zoo.cli.main(["predict", ID, "--input", CSV, "--output", OUT])`` in this process, the function the
  ``zoo`` command runs: reading the table, SMILES checks, one RDKit parse per molecule shared by the featurizer
  and the applicability-domain warnings, batched forward passes, the output CSV written atomically;
- plain: what a user writes with the zoo's pieces and nothing else: ``zoo.load(ID)``, the SMILES read with
  ``csv``, ``model.featurize`` (the zoo's own featurizer) and one forward pass per batch of 1,000, predictions
  kept in memory (no checks, no warnings, no output file);
- plain, batched featurizer (models with ``featurize_batch``, e.g. ``nfp-esol``): the same loop featurizing each
  batch in one call, as the zoo does; the zoo's own work (reading and checking the table, warnings, the output
  file) is what separates it from the zoo (``ratio_to_batched_featurizer``).

The two alternate ``--repeats`` times; medians are reported. On a CPU the time is the process CPU time with one
torch thread (``--clock cpu``), which other jobs on a shared machine do not inflate; ``--clock wall`` for the
wall clock. The zoo's predictions are checked against the plain loop's (``max_abs_difference``).

One JSON line: ``model, molecules, batch_size, clock, zoo_molecules_per_s, plain_molecules_per_s, ratio``
(zoo / plain; the target is at least 0.9), ``plain_batched_featurizer_molecules_per_s``,
``ratio_to_batched_featurizer``, ``zoo_errors``, ``max_abs_difference``, ``repeats``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import zoo


def first_moses_smiles(n: int, root: str | None = None) -> list[str]:
    from zoo.data.smiles import read_moses

    smiles = read_moses(root, "test")
    if len(smiles) < n:
        raise SystemExit(f"MOSES test has {len(smiles)} molecules, fewer than --molecules {n}")
    return smiles[:n]


def zoo_predict(model_id: str, source: Path, out: Path, batch_size: int) -> None:
    """The ``zoo predict`` command, in this process (its summary line swallowed)."""
    from zoo.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["predict", model_id, "--input", str(source), "--output", str(out),
                     "--batch-size", str(batch_size)])
    if code != 0:
        raise SystemExit(f"zoo predict exited with {code}")


@torch.no_grad()
def plain_predict(model_id: str, source: Path, batch_size: int) -> torch.Tensor:
    """``zoo.load`` + the zoo's featurizer + the model, in batches: the loop a user would write."""
    from torch_geometric.data import Batch, Data

    model = zoo.load(model_id).eval()
    with open(source, newline="") as f:
        smiles = [row["SMILES"] for row in csv.DictReader(f)]
    out = []
    for start in range(0, len(smiles), batch_size):
        items = [Data(**model.featurize(s)) for s in smiles[start:start + batch_size]]
        out.append(model(Batch.from_data_list(items)))
    return torch.cat(out)


@torch.no_grad()
def plain_batched_predict(model_id: str, source: Path, batch_size: int) -> torch.Tensor:
    """The same loop with the model's batched featurizer (``model.featurize_batch``) in place of
    ``featurize``: what is left between it and the zoo is the zoo's own work (checks, warnings, files)."""
    from torch_geometric.data import Data

    model = zoo.load(model_id).eval()
    with open(source, newline="") as f:
        smiles = [row["SMILES"] for row in csv.DictReader(f)]
    out = []
    for start in range(0, len(smiles), batch_size):
        fields, _ = model.featurize_batch(smiles[start:start + batch_size])
        out.append(model(Data(**fields)))
    return torch.cat(out)


def timed(clock, fn, *args):
    start = clock()
    result = fn(*args)
    return clock() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="nfp-esol")
    parser.add_argument("--molecules", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu")
    parser.add_argument("--data-root", default=None, help="default: $ZOO_DATA_ROOT")
    args = parser.parse_args()
    torch.set_num_threads(1)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    smiles = first_moses_smiles(args.molecules, args.data_root)
    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "molecules.csv", Path(tmp) / "predictions.csv"
        source.write_text("SMILES\n" + "\n".join(smiles) + "\n")
        warm = Path(tmp) / "warm.csv"
        warm.write_text("SMILES\n" + "\n".join(smiles[:200]) + "\n")
        zoo_predict(args.model, warm, out, args.batch_size)  # imports and first calls, on both sides
        plain_predict(args.model, warm, args.batch_size)
        batched = hasattr(zoo.load(args.model), "featurize_batch")
        zoo_times, plain_times, batched_times = [], [], []
        for _ in range(args.repeats):
            seconds, plain = timed(clock, plain_predict, args.model, source, args.batch_size)
            plain_times.append(seconds)
            seconds, _ = timed(clock, zoo_predict, args.model, source, out, args.batch_size)
            zoo_times.append(seconds)
            if batched:
                seconds, _ = timed(clock, plain_batched_predict, args.model, source, args.batch_size)
                batched_times.append(seconds)
        with open(out, newline="") as f:
            rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    error = header.index("error")
    predicted = [i for i, r in enumerate(rows) if not r[error]]
    zoo_values = torch.tensor([[float(v) for v in rows[i][1:error]] for i in predicted])
    difference = (zoo_values - plain[predicted]).abs().max().item() if predicted else float("nan")
    zoo_rate = args.molecules / statistics.median(zoo_times)
    plain_rate = args.molecules / statistics.median(plain_times)
    batched_rate = args.molecules / statistics.median(batched_times) if batched_times else None
    print(json.dumps({"model": args.model, "molecules": args.molecules, "batch_size": args.batch_size,
                      "clock": args.clock, "zoo_molecules_per_s": round(zoo_rate, 1),
                      "plain_molecules_per_s": round(plain_rate, 1), "ratio": round(zoo_rate / plain_rate, 3),
                      "plain_batched_featurizer_molecules_per_s": batched_rate and round(batched_rate, 1),
                      "ratio_to_batched_featurizer": batched_rate and round(zoo_rate / batched_rate, 3),
                      "zoo_errors": len(rows) - len(predicted), "max_abs_difference": difference,
                      "repeats": args.repeats, "python": sys.version.split()[0], "torch": torch.__version__}))


if __name__ == "__main__":
    main()
