"""AAE on MACCS fingerprints of MOSES molecules, beside the failure it fixes (a plain GAN on the same bits).

Trains ``recipes/aae/fingerprints.yaml`` and ``recipes/aae/fingerprints-gan.yaml`` (3 minutes of CPU time each,
zoo.callbacks.CPUTimeLimit), then measures on 10,000 samples (seed 0) of each: fraction of distinct bit vectors,
novelty (distinct vectors not in the 55k training fingerprints), mean nearest-neighbour Tanimoto to the 10k test
fingerprints; for the AAE also bit-level reconstruction of the test fingerprints; for the GAN how far its outputs
are from binary. Real training fingerprints scored the same way give the reference. Exports ``aae-fingerprints``
(card fields: bench/card_fields.yaml). ``--reuse-baselines`` scores only the AAE of ``--run-dir`` (e.g. a plain
``zoo train recipes/aae/fingerprints.yaml`` run) and keeps the GAN and real-data numbers of the shipped card.

    ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.fingerprints [--no-train]
    ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.fingerprints --reuse-baselines --run-dir RUN
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from bench.aae.common import budget_of, run_dir, save_json, train_or_load, training_meta
from bench.card_fields import card_fields, card_text
from bench.reproduce_field import reproduce_field
from zoo.data.fingerprints import MACCSDataModule
from zoo.evaluation.aae import reconstruction_metrics, sample_vs_real
from zoo.export import export_module
from zoo.systems.gan import NSGAN
from zoo.training import last_checkpoint, train

MODEL_ID = "aae-fingerprints"
RECIPE, GAN_RECIPE = "recipes/aae/fingerprints.yaml", "recipes/aae/fingerprints-gan.yaml"
COMMAND = "ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.fingerprints"
N_SAMPLES = 10_000


def evaluate_aae(net, test: torch.Tensor, train_bits: torch.Tensor) -> dict:
    out = {f"test_{k}": v for k, v in reconstruction_metrics(net, test).items()}
    out.update({f"sample_{k}": v for k, v in sample_vs_real(net.sample(N_SAMPLES, seed=0), test, train_bits).items()})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=run_dir(RECIPE), help="the AAE's run folder (default "
                        "%(default)s)")
    parser.add_argument("--no-train", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--reuse-baselines", action="store_true",
                        help="evaluate the AAE's last.ckpt; keep the GAN and real-data numbers of the shipped card")
    args = parser.parse_args(argv)

    system, facts = train_or_load(RECIPE, [], not (args.no_train or args.reuse_baselines), folder=args.run_dir)
    if args.reuse_baselines:
        from zoo.registry import get_pretrained_cfg

        shipped = get_pretrained_cfg(MODEL_ID).extra
        data = MACCSDataModule()
        train_bits, test = torch.cat([data.split("train"), data.split("val")]), data.split("test")
        aae = evaluate_aae(system.net.eval(), test, train_bits)
        print("aae", aae)
        save_json(args.run_dir / "results.json", {"aae": aae, "gan": shipped["gan_baseline"],
                                                  "real_training_fingerprints": shipped["real_reference"],
                                                  "training": facts})
        if not args.no_export:
            export(system, facts, aae, shipped["gan_baseline"], shipped["real_reference"])
        return
    if args.no_train:
        # weights_only: the run folder's checkpoint is read as plain tensors and types, never unpickled
        gan = NSGAN.load_from_checkpoint(last_checkpoint(run_dir(GAN_RECIPE)), map_location="cpu", weights_only=True)
    else:
        gan = train(GAN_RECIPE).model
    gan.eval()
    data = MACCSDataModule()
    train_bits, test = torch.cat([data.split("train"), data.split("val")]), data.split("test")

    aae = evaluate_aae(system.net.eval(), test, train_bits)
    with torch.no_grad():
        z = torch.randn(N_SAMPLES, gan.net.latent_dim, generator=torch.Generator().manual_seed(0))
        probs = gan.net(z)
        d_real = torch.sigmoid(gan.discriminator(test[:N_SAMPLES])).mean().item()
        d_fake = torch.sigmoid(gan.discriminator(probs)).mean().item()
    plain = {f"sample_{k}": v for k, v in sample_vs_real((probs > 0.5).float(), test, train_bits).items()}
    plain.update({"mean_distance_from_binary": float(torch.minimum(probs, 1 - probs).mean()),
                  "discriminator_on_real": d_real, "discriminator_on_generated": d_fake})
    real = {f"sample_{k}": v for k, v in sample_vs_real(train_bits[:N_SAMPLES], test, train_bits[N_SAMPLES:]).items()}
    results = {"aae": aae, "gan": plain, "real_training_fingerprints": real, "training": facts}
    save_json(args.run_dir / "results.json", results)
    for name, values in results.items():
        print(name, {k: round(v, 4) if isinstance(v, float) else v for k, v in values.items()})
    if not args.no_export:
        export(system, facts, aae, plain, real)


def export(system, facts: dict, aae: dict, plain: dict, real: dict) -> None:
    net = system.net.eval()
    sample_protocol = card_text(MODEL_ID, "sample_protocol", n_samples=N_SAMPLES)
    recon_protocol = card_text(MODEL_ID, "reconstruction_protocol")
    metric = lambda name, unit, protocol, split="test", hib=True: {
        "name": name, "value": aae[name], "unit": unit, "split": split, "protocol": protocol, "command": COMMAND,
        "higher_is_better": hib}
    ours = lambda name, value, who, note="": {"name": name, "value": round(value, 4), "citation": who,
                                              "note": note}
    gan_short = card_text(MODEL_ID, "gan_baseline_short", gan_recipe=GAN_RECIPE)
    real_who = card_text(MODEL_ID, "real_baseline")
    meta = {
        **card_fields(MODEL_ID),
        "id": MODEL_ID,
        "reproduce": reproduce_field(f"zoo train {RECIPE}"),
        "metrics": [
            metric("test_bit_accuracy", "fraction", recon_protocol),
            metric("test_on_bit_f1", "fraction", recon_protocol),
            metric("test_reconstruction_nll", "nats", recon_protocol, hib=False),
            metric("sample_unique_fraction", "fraction", sample_protocol, "samples"),
            metric("sample_novelty", "fraction", sample_protocol, "samples"),
            metric("sample_nn_tanimoto_to_test", "", sample_protocol, "samples"),
        ],
        "baselines": [
            ours("sample_unique_fraction", plain["sample_unique_fraction"],
                 card_text(MODEL_ID, "gan_baseline", gan_recipe=GAN_RECIPE), card_text(MODEL_ID, "gan_baseline_note")),
            ours("sample_novelty", plain["sample_novelty"], gan_short),
            ours("sample_nn_tanimoto_to_test", plain["sample_nn_tanimoto_to_test"], gan_short),
            ours("sample_nn_tanimoto_to_test", real["sample_nn_tanimoto_to_test"], real_who,
                 card_text(MODEL_ID, "real_baseline_note")),
            ours("sample_unique_fraction", real["sample_unique_fraction"], real_who),
        ],
        "training": training_meta(facts, RECIPE, budget_of(RECIPE)),
        "notes": card_text(MODEL_ID, "notes", gan_recipe=GAN_RECIPE, d_real=plain["discriminator_on_real"],
                           d_fake=plain["discriminator_on_generated"], distance=plain["mean_distance_from_binary"],
                           gan_unique=round(plain["sample_unique_fraction"] * N_SAMPLES), n_samples=N_SAMPLES,
                           aae_unique=round(aae["sample_unique_fraction"] * N_SAMPLES), batches=facts["batches"]),
        "extra": {"eval": {"n_samples": N_SAMPLES, "seed": 0}, "bit_order": "position i is MACCS key i+1 "
                  "(RDKit GenMACCSKeys bit 0 dropped)", "gan_baseline": plain, "real_reference": real},
    }
    cfg = export_module(net, system.hparams.architecture, dict(system.hparams.model_args), meta)
    print(f"exported {cfg.id} (sha256 {cfg.sha256})")


if __name__ == "__main__":
    sys.exit(main())
