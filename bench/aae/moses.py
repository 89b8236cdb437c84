"""SMILES AAE on MOSES: train, compute the MOSES metrics, compare with the MOSES AAE, ship ``aae-moses``.

Trains ``recipes/aae/moses.yaml`` (a wall-clock budget, one thread, all of MOSES train) in ``--run-dir``, stores
the sampling temperature with the model (``--temperature``, default 1 as in MOSES; ``--temperature-table`` also
measures lower ones on training molecules for the notes), decodes 10,000 prior samples (seed 0) and computes the MOSES metrics (:mod:`zoo.metrics.moses`) against a 10,000-molecule
subset of MOSES test (seed 0; novelty against all 1,584,663 MOSES-train SMILES). The same metrics of 10,000 real
MOSES-train molecules (seed 1) give the ceiling of this protocol (the smaller reference set lowers SNN and Scaf
and raises FCD compared with MOSES' full-test numbers).

    ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.moses --run-dir runs/aae-moses-v2 \
        [--no-train --cpu-note TEXT] [--temperature T] [--temperature-table]

The card's words and the papers' numbers come from ``bench/card_fields.yaml`` (entry ``aae-moses``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from bench.aae.common import budget_of, save_json, train_or_load, training_meta
from bench.card_fields import card_fields, card_text
from bench.reproduce_field import reproduce_field
from zoo.data.smiles import moses_subset
from zoo.export import export_module
from zoo.metrics.moses import (
    ReferenceSets,
    canonical,
    fcd_to_reference,
    is_valid,
    moses_metrics,
    reference_sets,
)

MODEL_ID = "aae-moses"
RECIPE = "recipes/aae/moses.yaml"
RUN_DIR = Path("runs/aae-moses-v2")
COMMAND = "ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 zoo eval aae-moses"
N_SAMPLES, TEST_SIZE = 10_000, 10_000
PROPERTIES = ("logp", "sa", "qed", "weight")  # Wasserstein-1 distances to the test subset: no published AAE value
PAPER_METRICS = tuple(r["name"] for r in card_fields(MODEL_ID)["paper_results"])  # MOSES table 2, then IntDiv2
METRICS = (*PAPER_METRICS, *PROPERTIES)
HIGHER_IS_BETTER = {"fcd": False, **{p: False for p in PROPERTIES}}
UNITS = {"fcd": "", "valid": "fraction", "novelty": "fraction", "filters": "fraction"}
TEMPERATURES = (1.0, 0.8, 0.65, 0.5)
N_TEMPERATURE_SAMPLES = 1000


# metric definitions changed (Frag counts, WEHI PAINS filters, IntDiv2, property distances): a new cache file
BASELINE_FILE = Path(f"runs/aae/moses/real-train-n{N_SAMPLES}-seed1-vs-test-n{TEST_SIZE}-seed0-v2.json")


def real_baseline(ref) -> dict:
    """MOSES metrics of 10,000 real MOSES-train molecules (seed 1) under this protocol (computed once, cached)."""
    if BASELINE_FILE.is_file():
        return json.loads(BASELINE_FILE.read_text())
    real = moses_metrics(moses_subset(None, "train", N_SAMPLES, seed=1), ref)
    save_json(BASELINE_FILE, real)
    return real


@torch.no_grad()
def temperature_table(net, temperatures=TEMPERATURES, n: int = N_TEMPERATURE_SAMPLES) -> list[dict]:
    """Validity, unique@1k and FCD against ``n`` MOSES-train molecules (seed 2) of ``n`` samples (seed 1, not the
    evaluation's seed 0) at each sampling temperature: what lowering the temperature buys and costs. Training
    molecules only, so the test subset plays no part."""
    ref = ReferenceSets(test=moses_subset(None, "train", n, seed=2), train=set())
    table = []
    for t in temperatures:
        valid = [c for c in map(canonical, net.sample(n, seed=1, temperature=t)) if c is not None]
        head = valid[:1000]
        row = {"temperature": t, "valid": len(valid) / n, "unique@1k": len(set(head)) / max(len(head), 1),
               "fcd": fcd_to_reference(valid, ref)}
        table.append(row)
        print(f"temperature {t}: valid {row['valid']:.3f} unique@1k {row['unique@1k']:.3f} FCD vs train "
              f"{row['fcd']:.3f}", flush=True)
    return table


@torch.no_grad()
def posterior_diagnosis(net, smiles: list[str]) -> dict:
    """Why prior samples decode badly: decode the codes of real test molecules, and compare the codes' moments
    with the N(0, I) prior (a matched aggregated posterior has per-dimension mean 0 and std 1)."""
    z = torch.cat([net.encode(net.encode_strings(smiles[i:i + 250])) for i in range(0, len(smiles), 250)])
    decoded = net.decode_tokens(net.generate(z, 1.0, torch.Generator().manual_seed(0)))
    return {"n_molecules": len(smiles), "valid_from_posterior_codes": sum(map(is_valid, decoded)) / len(smiles),
            "exact_reconstruction": sum(canonical(a) == canonical(b) for a, b in zip(decoded, smiles)) / len(smiles),
            "code_mean_abs": float(z.mean(0).abs().mean()), "code_std": float(z.std(0).mean())}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=RUN_DIR, help=f"the run folder (default {RUN_DIR})")
    parser.add_argument("--no-train", action="store_true", help="reuse <run-dir>/checkpoints/last.ckpt")
    parser.add_argument("--cpu-note", help="CPU time of a run trained outside this script, in words (the "
                        "recipe has no CPU-time limit, so its checkpoint keeps only the wall clock)")
    parser.add_argument("--temperature", type=float, default=1.0,
                        help="sampling temperature stored with the model (1: the MOSES AAE's multinomial sampling)")
    parser.add_argument("--temperature-table", action="store_true",
                        help=f"also measure temperatures {TEMPERATURES} on training molecules for the card's notes")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--baseline-only", action="store_true",
                        help=f"only compute the real-molecule baseline into {BASELINE_FILE} (reused when present)")
    args = parser.parse_args(argv)
    ref = reference_sets(None, test_size=TEST_SIZE, train_size=None, seed=0)
    if args.baseline_only:
        real_baseline(ref)
        return

    system, facts = train_or_load(RECIPE, [], not args.no_train, folder=args.run_dir)
    if args.cpu_note:
        facts["cpu_note"] = args.cpu_note
    net = system.net.eval()
    net.temperature = args.temperature
    table = temperature_table(net) if args.temperature_table else []
    model_args = {**dict(system.hparams.model_args), "temperature": net.temperature}
    start = time.perf_counter()
    samples = net.sample(N_SAMPLES, seed=0)
    sample_seconds = time.perf_counter() - start
    ours = moses_metrics(samples, ref)
    diagnosis = posterior_diagnosis(net, ref.test[:1000])
    print("diagnosis:", diagnosis)
    real = real_baseline(ref)
    save_json(args.run_dir / "results.json", {"aae": ours, "real_train_molecules": real, "training": facts,
                                               "temperature": net.temperature, "temperature_table": table,
                                               "sample_seconds": sample_seconds, "first_samples": samples[:50],
                                               "diagnosis": diagnosis})
    fields = card_fields(MODEL_ID)
    papers = {r["name"]: r["value"] for r in fields["paper_results"]}
    print(f"{'metric':12s} {'ours':>8s} {'real':>8s} {'MOSES AAE':>9s}")
    for k in METRICS:
        print(f"{k:12s} {ours[k]:8.4f} {real[k]:8.4f} {papers.get(k, float('nan')):9.3f}")
    if args.no_export:
        return

    protocol = card_text(MODEL_ID, "protocol", n_samples=N_SAMPLES, temperature=net.temperature,
                         n_valid=int(ours["n_valid"]), test_size=TEST_SIZE)
    metrics = [{"name": k, "value": ours[k], "unit": UNITS.get(k, ""), "split": "samples vs MOSES test subset",
                "protocol": protocol, "command": COMMAND, "higher_is_better": HIGHER_IS_BETTER.get(k, True)}
               for k in METRICS]
    baselines = [{"name": k, "value": round(real[k], 4), "citation": card_text(MODEL_ID, "real_baseline"),
                  "note": card_text(MODEL_ID, "real_baseline_note")} for k in METRICS]
    init = system.hparams
    steps_note = (f"{facts['batches']} batches of 128 ({facts['batches'] * 128:,} molecules, "
                  f"{facts['batches'] * 128 / 1_584_663:.2f} passes over MOSES train)")
    temperature_note = card_text(MODEL_ID, "temperature_note", rows="; ".join(
        f"T={r['temperature']:g}: valid {r['valid']:.3f}, unique@1k {r['unique@1k']:.3f}, FCD {r['fcd']:.2f}"
        for r in table)) if table else ""
    meta = {
        **fields,
        "id": MODEL_ID,
        "reproduce": reproduce_field(f"zoo train {RECIPE}"),
        "metrics": metrics,
        "baselines": [*baselines, *fields["baselines"]],
        "training": training_meta(facts, RECIPE, budget_of(RECIPE)),
        "notes": card_text(MODEL_ID, "notes", encoder_hidden=init.model_args["encoder_hidden"],
                           decoder_layers=init.model_args["decoder_layers"],
                           decoder_hidden=init.model_args["decoder_hidden"],
                           latent_dim=init.model_args["latent_dim"], discriminator_steps=init.discriminator_steps,
                           warmup=init.regularization_warmup_steps, steps_note=steps_note,
                           temperature=net.temperature, temperature_note=temperature_note,
                           valid_from_codes=diagnosis["valid_from_posterior_codes"],
                           exact=diagnosis["exact_reconstruction"], code_mean_abs=diagnosis["code_mean_abs"],
                           code_std=diagnosis["code_std"]),
        "extra": {"eval": {"n_samples": N_SAMPLES, "seed": 0, "test_size": TEST_SIZE, "train_size": None,
                           "subset_seed": 0},
                  "n_valid": ours["n_valid"], "sample_seconds": round(sample_seconds, 1), "diagnosis": diagnosis,
                  "temperature_table": table, "real_reference": real},
    }
    cfg = export_module(net, init.architecture, model_args, meta)
    print(f"exported {cfg.id} (sha256 {cfg.sha256})")


if __name__ == "__main__":
    sys.exit(main())
