import yaml

from zoo.cards import render_card, render_index, stale_cards
from zoo.registry import PretrainedCfg, get_pretrained_cfg, load_pretrained_cfgs


def test_cards_and_index_are_in_sync_with_the_registry():
    assert stale_cards() == [], "run `zoo cards` to regenerate them"


def test_card_has_hub_metadata_and_the_reproducing_command():
    cfg = get_pretrained_cfg("gcn-cora")
    card = render_card(cfg)
    front = yaml.safe_load(card.split("---")[1])
    assert front["library_name"] == "zoo" and front["license"] == cfg.license
    assert front["datasets"] == ["Cora"]
    results = front["model-index"][0]["results"]
    measured = {r["metrics"][0]["type"]: r["metrics"][0]["value"] for r in results}
    assert measured["test_accuracy"] == round(cfg.metric("test_accuracy").value, 6)
    assert cfg.reproduce.command in card and cfg.metrics[0].command in card
    assert "More Information Needed" not in card
    assert str(cfg.revision) not in card or cfg.revision is None


def test_index_has_one_row_per_id_with_its_headline_metric_and_the_gan_figure():
    cfgs = load_pretrained_cfgs()
    index = render_index(cfgs)
    rows = [line for line in index.splitlines() if line.startswith("| [")]
    headline_rows = [row for row in rows if "@" not in row.split(" | ")[3]]
    assert len(headline_rows) == len(cfgs)
    for cfg, row in zip(cfgs.values(), headline_rows):
        assert row.startswith(f"| [{cfg.id}](checkpoints/{cfg.id}/README.md) |")
        assert cfg.metrics[0].name in row and len(row) < 400
    assert "](docs/figures/gan-loss-family-mnist.png)" in index


def test_a_headline_under_another_protocol_gets_its_own_row_never_beside_the_paper():
    index = render_index(load_pretrained_cfgs())
    moses = [line for line in index.splitlines() if line.startswith("| [aae-moses]")]
    assert len(moses) == 2
    assert "| valid (fraction), " in moses[0] and "0.937 (Polykovskiy" in moses[0]  # MOSES' sampling, T = 1
    assert "| valid@t0.65 (fraction), " in moses[1] and "0.937" not in moses[1]
    assert "another protocol than the paper's" in moses[1]


def test_a_paper_figure_measured_another_way_says_so_in_the_cell():
    from gan_entries import unmigrated_entry

    cfgs = load_pretrained_cfgs()
    # wgan-mnist as it was shipped, before bench/gan/paper_fid.py measured it under Lucic et al.'s protocol
    index = render_index({**cfgs, "wgan-mnist": PretrainedCfg.from_dict(unmigrated_entry("wgan-mnist"))})
    wgan = next(line for line in index.splitlines() if line.startswith("| [wgan-mnist]"))
    assert "6.7 (Lucic et al. 2018, **other protocol**: 10,000 samples" in wgan
    reproduction = index.split("## Reproduction")[1]
    row = next(line for line in reproduction.splitlines() if line.startswith("| wgan-mnist |"))
    assert "not measured this way" in row and "`zoo train recipes/gan/wgan-mnist.yaml`" in row
    nsgan = next(line for line in reproduction.splitlines() if line.startswith("| nsgan-mnist |"))
    assert "the same as ours" in nsgan and "not measured" not in nsgan
    cora = next(line for line in reproduction.splitlines() if line.startswith("| gcn-cora |"))
    assert "the same as ours" in cora and "| 81.6 |" in cora


def test_cards_show_their_figures_or_say_there_are_none():
    celeba = render_card(get_pretrained_cfg("wgan-gp-celeba"))
    assert "![16 samples of wgan-gp-celeba, seed 0](samples.png)" in celeba
    assert "](interpolation.png)" in celeba and "zoo sample wgan-gp-celeba --n 16 --seed 0" in celeba
    assert "](curves.png)" in render_card(get_pretrained_cfg("mpnn-qm9-mu"))  # its run's curve was kept
    cora = render_card(get_pretrained_cfg("gcn-cora"))
    assert "samples.png" not in cora and "](curves.png)" in cora  # a classifier: its run's curves, no samples
    import dataclasses

    unlogged = render_card(dataclasses.replace(get_pretrained_cfg("gcn-cora"), id="gcn-unlogged"))
    assert "](curves.png)" not in unlogged and "No training curves are shipped" in unlogged


def test_a_status_is_the_first_thing_on_the_card():
    import dataclasses

    cfg = get_pretrained_cfg("gcn-cora")
    assert "Warning" not in render_card(cfg)
    card = render_card(dataclasses.replace(cfg, status="failed: a test"))
    assert "> **Warning: failed: a test**" in card
    assert card.index("Warning: failed") < card.index("## Results")



def test_zoo_cards_curves_keeps_a_runs_metrics_and_puts_the_figure_on_the_card(isolated_zoo, capsys):
    import shutil
    from pathlib import Path

    from csv_log import write_csv_log

    import zoo
    from zoo.cli import main

    repo = Path(zoo.__file__).resolve().parents[1]
    shutil.copytree(repo / "checkpoints" / "gcn-cora", isolated_zoo / "checkpoints" / "gcn-cora")
    shutil.copy(repo / "zoo" / "pretrained" / "gcn-cora.json", isolated_zoo / "pretrained")
    run = isolated_zoo / "runs" / "gcn" / "cora"
    write_csv_log(run / "csv" / "version_0" / "metrics.csv",
                  [{"step": s, "epoch": s, "train/loss": 2.0 / (s + 1), "val/accuracy": s / 200} for s in range(0, 200, 10)])
    assert main(["cards", "--curves", "gcn-cora", str(run)]) == 0
    assert "metrics.csv from the logged metrics of" in capsys.readouterr().out
    folder = isolated_zoo / "checkpoints" / "gcn-cora"
    assert {"metrics.csv", "curves.png"} <= {p.name for p in folder.iterdir()}
    card = (folder / "README.md").read_text()
    assert "![Training curves of gcn-cora](curves.png)" in card and "(40 logged values)" in card
    assert main(["cards", "--check"]) == 0
    assert main(["cards", "--curves", "gcn-cora", str(isolated_zoo / "empty")]) == 2  # one line, no traceback
    assert "no CSV log" in capsys.readouterr().err


def test_a_config_json_that_disagrees_with_its_entry_is_stale_and_rewritten_but_never_its_weights(isolated_zoo):
    import dataclasses
    import hashlib
    import json

    import pytest
    import torch

    from zoo.cards import write_cards
    from zoo.export import export_module
    from zoo.hub import checkpoints_dir, config_disagreement, read_config
    from zoo.registry import PretrainedCfg, create_model, pretrained_dir

    args = {"in_channels": 4, "out_channels": 2, "hidden_channels": 3}
    meta = {"id": "gcn-tiny", "method": "GCN", "paper": "-", "task": "node-classification", "dataset": "Tiny",
            "split": "all", "reproduce": {"recipe": "recipes/gcn/cora.yaml"}, "metrics": [{"name": "test_accuracy", "value": 50.0}]}
    torch.manual_seed(0)
    export_module(create_model("gcn", **args), "gcn", args, meta)
    folder, entry = checkpoints_dir() / "gcn-tiny", pretrained_dir() / "gcn-tiny.json"
    config, weights = folder / "config.json", (folder / "model.safetensors").read_bytes()
    assert stale_cards() == []
    cfg = get_pretrained_cfg("gcn-tiny")
    copy = json.loads(config.read_text())["pretrained_cfg"]
    assert "hf_hub_id" not in copy and "revision" not in copy  # where the folder is pushed is not in the folder
    assert PretrainedCfg.from_dict(copy) == cfg

    # Edit the registry (the source): the copy is stale, `zoo cards` rewrites it, the weights stay as they were.
    entry.write_text(json.dumps(dataclasses.replace(cfg, notes="edited", hf_hub_id="org/x").to_dict(), indent=2))
    assert config in stale_cards()
    assert config_disagreement(read_config(folder), get_pretrained_cfg("gcn-tiny")) == ["pretrained_cfg.notes"]
    assert config in write_cards() and stale_cards() == []
    assert json.loads(config.read_text())["pretrained_cfg"]["notes"] == "edited"
    assert (folder / "model.safetensors").read_bytes() == weights
    assert hashlib.sha256(weights).hexdigest() == get_pretrained_cfg("gcn-tiny").sha256

    # Edit the copy: stale again, and the registry wins.
    edited = json.loads(config.read_text())
    edited["pretrained_cfg"]["metrics"][0]["value"] = 99.0
    config.write_text(json.dumps(edited))
    assert config in stale_cards()
    write_cards()
    assert json.loads(config.read_text())["pretrained_cfg"]["metrics"][0]["value"] == 50.0

    # model_args describe the weights: a registry that names others is an error, not a rewrite.
    bad = dataclasses.replace(get_pretrained_cfg("gcn-tiny"), model_args={**args, "hidden_channels": 5})
    entry.write_text(json.dumps(bad.to_dict(), indent=2))
    card = (folder / "README.md").read_bytes()
    assert {config, folder / "README.md"} <= set(stale_cards())  # the card shows the model_args too
    with pytest.raises(ValueError, match="name different model_args.*re-export"):
        write_cards()
    assert read_config(folder)["model_args"] == args
    assert (folder / "README.md").read_bytes() == card  # refused before the first write: no card rewritten
    from csv_log import write_csv_log

    from zoo.cli import main

    run = isolated_zoo / "run"
    write_csv_log(run / "csv" / "version_0" / "metrics.csv", [{"step": 0, "epoch": 0, "train/loss": 1.0}])
    assert main(["cards", "--curves", "gcn-tiny", str(run)]) == 2  # --curves too checks before writing
    assert not (folder / "metrics.csv").exists() and (folder / "README.md").read_bytes() == card


def test_a_training_fact_that_was_not_recorded_says_so_rather_than_none():
    import dataclasses

    cfg = get_pretrained_cfg("gcn-cora")
    card = render_card(dataclasses.replace(cfg, training={**cfg.training, "wandb_run_id": None}))
    assert "- wandb run id: not recorded" in card and "None" not in card.split("## Training")[-1].split("##")[0]


def test_metrics_measured_the_same_way_share_one_protocol_line():
    card = render_card(get_pretrained_cfg("aae-moses"))
    protocol = card.split("## Results")[1].split("## Reproduce")[0]
    assert protocol.count("Measured with `") == 2  # fifteen MOSES metrics at each of two temperatures
    assert "- **valid, unique@10k, novelty, fcd," in protocol and "- **valid@t0.65, unique@10k@t0.65," in protocol
    cora = render_card(get_pretrained_cfg("gcn-cora"))
    assert "- **test_accuracy" in cora
