"""AAE on 20 Newsgroups binary bags of words: reconstruction of held-out documents, sampled "documents".

Trains ``recipes/aae/20news.yaml`` (3 minutes of CPU time) or, with ``--no-train``, takes the ``last.ckpt`` of a
run of it (``--run-dir``); measures the reconstruction of the 7,487 test documents (Bernoulli NLL per document,
bit accuracy, F1 of the present words), compares with an independent-Bernoulli (unigram presence) model fitted on
the training documents, prints ten sampled documents as their top words, and exports ``aae-20news`` with the
vocabulary in its config (so ``zoo sample aae-20news`` prints words); card fields: bench/card_fields.yaml.

    ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.newsgroups [--no-train --run-dir RUN]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from bench.aae.common import budget_of, run_dir, save_json, train_or_load, training_meta
from bench.card_fields import card_fields, card_text
from bench.reproduce_field import reproduce_field
from zoo.data.text import NewsgroupsDataModule, read_vocab
from zoo.evaluation.aae import reconstruction_metrics
from zoo.export import export_module
from zoo.registry import create_model

MODEL_ID = "aae-20news"
RECIPE = "recipes/aae/20news.yaml"
COMMAND = "ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.newsgroups"


def unigram_baseline(train: torch.Tensor, test: torch.Tensor) -> dict[str, float]:
    """Independent Bernoulli per word with the (add-one smoothed) training document frequency."""
    p = (train.sum(0) + 1) / (train.shape[0] + 2)
    logits = torch.logit(p).expand_as(test)
    nll = float(F.binary_cross_entropy_with_logits(logits, test, reduction="sum")) / test.shape[0]
    pred = (p > 0.5).float().expand_as(test)
    tp, fp, fn = float((pred * test).sum()), float((pred * (1 - test)).sum()), float(((1 - pred) * test).sum())
    return {"reconstruction_nll": nll, "bit_accuracy": float((pred == test).float().mean()),
            "on_bit_f1": 2 * tp / max(2 * tp + fp + fn, 1.0)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run-dir", type=Path, default=run_dir(RECIPE), help="the run folder (default %(default)s)")
    parser.add_argument("--no-train", action="store_true", help="reuse <run-dir>/checkpoints/last.ckpt")
    parser.add_argument("--no-export", action="store_true")
    args = parser.parse_args(argv)

    system, facts = train_or_load(RECIPE, [], not args.no_train, folder=args.run_dir)
    model_args = {**system.hparams.model_args, "vocab": read_vocab()}
    net = create_model(system.hparams.architecture, **model_args)
    net.load_state_dict(system.net.state_dict())
    net.eval()
    data = NewsgroupsDataModule()
    test, train = data.split("test"), data.split("train")
    ours = {f"test_{k}": v for k, v in reconstruction_metrics(net, test).items()}
    unigram = unigram_baseline(train, test)
    documents = net.format_samples(net.sample(10, seed=0))
    save_json(args.run_dir / "results.json", {"aae": ours, "unigram": unigram, "samples": documents,
                                               "training": facts})
    print(ours, "\nunigram:", unigram)
    print("\n".join(documents))
    if args.no_export:
        return

    protocol = card_text(MODEL_ID, "protocol")
    metric = lambda name, unit, hib=True: {"name": name, "value": ours[name], "unit": unit, "split": "test",
                                           "protocol": protocol, "command": COMMAND, "higher_is_better": hib}
    meta = {
        **card_fields(MODEL_ID),
        "id": MODEL_ID,
        "reproduce": reproduce_field(f"zoo train {RECIPE}"),
        "metrics": [metric("test_reconstruction_nll", "nats per document", False),
                    metric("test_bit_accuracy", "fraction"), metric("test_on_bit_f1", "fraction")],
        "baselines": [
            {"name": f"test_{k}", "value": round(v, 4), "citation": card_text(MODEL_ID, "unigram_baseline"),
             "note": card_text(MODEL_ID, "unigram_baseline_note")}
            for k, v in unigram.items()],
        "training": training_meta(facts, RECIPE, budget_of(RECIPE)),
        "notes": card_text(MODEL_ID, "notes", documents="\n".join(f"- {d}" for d in documents),
                           batches=facts["batches"]),
        "extra": {"sample_documents": documents},
    }
    cfg = export_module(net, system.hparams.architecture, model_args, meta)
    print(f"exported {cfg.id} (sha256 {cfg.sha256})")


if __name__ == "__main__":
    sys.exit(main())
