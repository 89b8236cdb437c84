"""The shipping scripts take a checkpoint's fixed card fields from its registry entry (bench.registry_fields) and
write only what they measured: each meta builder, given made-up measurements (no training, no evaluation),
returns an entry whose fixed fields are the registry's and whose texts carry the numbers it was given."""

import json
from pathlib import Path

import pytest

from bench.registry_fields import FIXED_FIELDS, fixed_fields, published_baselines
from zoo.registry import PretrainedCfg, get_pretrained_cfg, load_pretrained_cfgs

REPO = Path(__file__).resolve().parents[2]
SHIPPED = load_pretrained_cfgs()
# what bench.aae.common.train_or_load reports about a run
FACTS = {"batches": 4321, "epochs_completed": 7, "cpu_seconds": 612.0, "train_seconds": 700.0,
         "optimizer_steps": 17284, "wandb_run_id": "fake0001"}


@pytest.fixture(autouse=True)
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)  # the builders read recipes/... relative to the repository, as the scripts do


def as_entry(model_id: str, meta: dict) -> PretrainedCfg:
    """``meta`` laid over the shipped entry and parsed as a registry entry: a key the registry does not know, or a
    malformed field, fails here as it would at ``zoo export``."""
    return PretrainedCfg.from_dict({**SHIPPED[model_id].to_dict(), **meta})


def assert_fixed_fields_are_the_registrys(model_id: str, meta: dict, keeps_published: bool = False) -> None:
    """``keeps_published``: the script re-measures only its ``ours...`` baselines and keeps the literature's."""
    new, shipped = as_entry(model_id, meta).to_dict(), SHIPPED[model_id].to_dict()
    for name in FIXED_FIELDS:
        assert new[name] == shipped[name], f"{model_id}: {name} differs from its registry entry"
    for baseline in published_baselines(model_id) if keeps_published else ():
        assert baseline in new["baselines"], f"{model_id}: published baseline {baseline['citation']!r} dropped"


@pytest.mark.parametrize("model_id", sorted(SHIPPED))
def test_fixed_fields_are_a_copy_of_the_entry(model_id):
    fields = fixed_fields(model_id)
    assert set(fields) == set(FIXED_FIELDS)
    assert PretrainedCfg.from_dict({**SHIPPED[model_id].to_dict(), **fields}) == SHIPPED[model_id]
    fields["tags"].append("changed")
    assert "changed" not in fixed_fields(model_id)["tags"]


def test_published_baselines_are_the_literatures():
    assert [b["citation"] for b in published_baselines("aae-mnist")] == [
        "Goodfellow et al. 2014, table 1 (GAN), as quoted by Makhzani et al. 2016"]
    assert [b["citation"] for b in published_baselines("aae-moses")] == ["Polykovskiy et al. 2020, CharRNN"]
    assert [b["citation"] for b in published_baselines("mpnn-qm9-mu")] == ["PyG examples/qm9_nn_conv.py"]
    assert published_baselines("aae-20news") == []  # only "ours: ..." rows


def test_there_is_no_second_home_for_card_fields():
    assert not (REPO / "bench" / "card_fields.yaml").exists()
    assert not (REPO / "bench" / "card_fields.py").exists()


def test_aae_mnist():
    from bench.aae.mnist import MODEL_ID, card_meta
    from zoo.metrics.parzen import ParzenResult

    meta = card_meta(ParzenResult(301.25, 1.5, 0.2345, 250.0), ParzenResult(231.5, 2.0, 0.2, 1.0), FACTS,
                     "9 CPU-minute budget")
    assert_fixed_fields_are_the_registrys(MODEL_ID, meta, keeps_published=True)
    assert meta["metrics"][0]["value"] == 301.25 and meta["baselines"][-1]["value"] == 231.5
    assert meta["metrics"][0]["protocol"] == SHIPPED[MODEL_ID].metrics[0].protocol
    for text in ("4321 batches", "(7 epochs)", "9 CPU-minute budget", "10.2 CPU-minutes", "301.2 against 340 +- 2",
                 "(-39 nats)", "sigma (0.234)"):
        assert text in meta["notes"]


def test_aae_fingerprints():
    from bench.aae.fingerprints import MODEL_ID, card_meta

    names = ("test_bit_accuracy", "test_on_bit_f1", "test_reconstruction_nll", "sample_unique_fraction",
             "sample_novelty", "sample_nn_tanimoto_to_test")
    aae = dict.fromkeys(names, 0.8765)
    plain = {**dict.fromkeys(names, 0.0012), "discriminator_on_real": 0.9876, "discriminator_on_generated": 0.0123,
             "mean_distance_from_binary": 0.0042}
    real = dict.fromkeys(names, 0.5555)
    meta = card_meta(FACTS, aae, plain, real)
    assert_fixed_fields_are_the_registrys(MODEL_ID, meta)
    shipped = SHIPPED[MODEL_ID].to_dict()
    assert [(b["citation"], b["note"]) for b in meta["baselines"]] == [(b["citation"], b["note"])
                                                                     for b in shipped["baselines"]]
    for text in ("real 0.9876 vs on generated 0.0123", "0/1: 0.0042", "12 distinct vectors in 10,000 samples",
                 "the AAE's 8,765", "(4321 AAE batches"):
        assert text in meta["notes"]


def test_aae_20news():
    from bench.aae.newsgroups import MODEL_ID, card_meta

    ours = {"test_reconstruction_nll": 171.5, "test_bit_accuracy": 0.975, "test_on_bit_f1": 0.21}
    unigram = {"reconstruction_nll": 180.25, "bit_accuracy": 0.96, "on_bit_f1": 0.1}
    meta = card_meta(ours, unigram, ["god jesus bible", "car engine oil"], FACTS)
    assert_fixed_fields_are_the_registrys(MODEL_ID, meta)
    assert meta["baselines"][0]["value"] == 180.25
    assert "\n\n- god jesus bible\n- car engine oil\n\nBudget: 4321 batches" in meta["notes"]


def test_aae_moses():
    from bench.aae.moses import METRICS, MODEL_ID, card_meta

    ours = {**dict.fromkeys(METRICS, 0.5), "n_valid": 9123}
    model_args = {"encoder_hidden": 256, "decoder_layers": 3, "decoder_hidden": 384, "latent_dim": 48,
                  "temperature": 0.65}
    diagnosis = {"valid_from_posterior_codes": 0.4567, "exact_reconstruction": 0.125, "code_mean_abs": 0.31,
                 "code_std": 0.87}
    table = [{"temperature": 0.5, "valid": 0.951, "unique@1k": 0.998, "fcd": 2.345}]
    meta = card_meta(ours, dict.fromkeys(METRICS, 0.9), FACTS, model_args, 2, 3000, table, diagnosis, 12.34)
    assert_fixed_fields_are_the_registrys(MODEL_ID, meta, keeps_published=True)
    assert meta["baselines"][-1] == published_baselines(MODEL_ID)[0]  # CharRNN's FCD after our real-data rows
    assert "temperature 0.65, at most 100). 9123 valid." in meta["metrics"][0]["protocol"]
    for text in ("encoder 256 per direction", "decoder 3 x 384", "latent 48", "2 discriminator updates",
                 "ramped over 3000 batches", "4321 batches of 128 (553,088 molecules, 0.35 passes",
                 "T=0.5: valid 0.951, unique@1k 0.998, FCD 2.35", "gives 45.7% valid SMILES (12.5% exact)",
                 "|mean| 0.31 and std 0.87"):
        assert text in meta["notes"]
    assert "By temperature" not in card_meta(ours, ours, FACTS, model_args, 2, 3000, [], diagnosis, 1.0)["notes"]


def test_mpnn_qm9_mu():
    from bench.molecules.qm9_card import MODEL_ID, meta_of

    summary = {"model_args": {"hidden_channels": 96, "num_steps": 4, "set2set_steps": 5}, "epochs": 12.5,
               "steps": 9876, "data": {"batch_size": 64}, "hyper_parameters": {"scheduler": "cosine"}}
    meta = meta_of(summary, 0.1234, {"test_mae_mu": 0.2, "test_error_ratio_mu": 2.0},
                   "zoo train recipes/mpnn/qm9-mu.yaml", "one H200", 42.0, "fake0002")
    assert_fixed_fields_are_the_registrys(MODEL_ID, meta, keeps_published=True)
    assert [m["protocol"] for m in meta["metrics"]] == [m.protocol for m in SHIPPED[MODEL_ID].metrics]
    for text in ("d = 96, T = 4, set2set steps 5", "12.5 epochs (9876 steps, batch 64, 42.0 min) on one H200",
                 "Validation MAE 0.1234 D"):
        assert text in meta["notes"]


def test_nfp_esol_gives_the_shipped_words_from_the_committed_results():
    from bench.molecules.esol import MODEL_ID, RESULTS, card_meta

    meta = card_meta(json.loads((RESULTS / "esol.json").read_text()))
    assert_fixed_fields_are_the_registrys(MODEL_ID, meta)
    shipped = SHIPPED[MODEL_ID]
    assert meta["notes"] == shipped.notes
    assert [(b["citation"], b["note"]) for b in meta["baselines"]] == [(b.citation, b.note) for b in shipped.baselines]


def test_nfp_esol_notes_carry_the_means():
    from bench.molecules.esol import MODEL_ID, card_meta

    rows = [{"method": m, "seed": s, "test_rmse": v + s / 100, "test_mae": 0.4, "wall_time_s": 60.0, "epochs": 90,
             "best_epoch": 80, "checkpoint": "x"} for m, v in (("nfp", 0.55), ("ecfp", 1.05)) for s in range(3)]
    meta = card_meta(rows)
    assert_fixed_fields_are_the_registrys(MODEL_ID, meta)
    assert "Over 3 random splits NFP reaches 0.560 +- 0.010 and the ECFP4 + MLP baseline 1.060 +- 0.010" \
        in meta["notes"]
    assert meta["baselines"][0]["citation"] == "this NFP recipe, mean over 3 random splits (seeds 0-2)"


@pytest.mark.parametrize("dataset", ["cora", "citeseer"])
def test_gcn(dataset):
    from bench.gcn.reproduce import card_meta

    model_id = f"gcn-{dataset}"
    shipped = SHIPPED[model_id]
    meta = card_meta(dataset, shipped.extra["per_seed"])  # the shipped per-seed results give the shipped texts
    assert_fixed_fields_are_the_registrys(model_id, meta)
    assert [(m["value"], m["protocol"]) for m in meta["metrics"]] == [(m.value, m.protocol) for m in shipped.metrics]
    rows = [{"seed": s, "val": 0.7 + s / 100, "test": 0.8, "seconds": 3.0, "wandb_run_id": None} for s in range(3)]
    metric = card_meta(dataset, rows)["metrics"][0]
    assert metric["protocol"].startswith("The shipped weights (seed 2, chosen by validation accuracy 72.00 % among "
                                         "3 seeds;")
    assert metric["protocol"].endswith("over seeds 0..2 of the final model.")


@pytest.mark.parametrize("model_id", [i for i in sorted(SHIPPED) if SHIPPED[i].evaluator == "gan-fid"])
def test_gan(model_id):
    from bench.gan.shipping import build_meta

    shipped = SHIPPED[model_id]
    meta = build_meta(model_id, {"fid": 12.3456, "kid": 0.0123456, "kid_std": 0.001}, {"generator_steps": 10},
                      f"zoo train {shipped.reproduce.recipe}", "fake notes")
    assert_fixed_fields_are_the_registrys(model_id, meta)
    # build_meta writes the small-N protocol: the headline until bench/gan/paper_fid.py moves it to *_quick
    quick = "fid_quick" in shipped.extra
    small_n = [m for m in shipped.metrics if m.name.endswith("_quick") == quick]
    assert [m["protocol"] for m in meta["metrics"]] == [m.protocol for m in small_n]
    assert [(b["citation"], b["note"]) for b in meta["baselines"]] == [
        (b.citation, b.note) for b in shipped.baselines if b.name.endswith("_quick") == quick]
    assert (meta["metrics"][0]["value"], meta["metrics"][1]["value"]) == (12.346, 0.01235)


@pytest.mark.parametrize("model_id", [i for i in sorted(SHIPPED) if SHIPPED[i].evaluator == "gan-fid"])
def test_gan_notes_of_a_gpu_run(model_id):
    from bench.device.import_results import device_notes

    notes = device_notes(model_id, "zoo train X", "one GPU", 10, 1.5)
    assert notes.startswith("Trained by `zoo train X` on one GPU: 10 generator steps (1.5 epochs); ")
    assert ("200k generator iterations" in notes) == model_id.startswith("wgan-gp")
