"""The cards' figures: the shipped PNGs are what the weights draw, are small, and are redrawn when stale."""

import io
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

import zoo
from zoo import figures
from zoo.hub import checkpoints_dir
from zoo.image_grid import make_grid
from zoo.registry import get_pretrained_cfg, list_models
from zoo.run_metrics import Point, write_metrics_csv

GENERATORS = [i for i in list_models() if figures.is_image_generator(get_pretrained_cfg(i))]


def test_every_image_generator_ships_its_figures_and_they_are_small():
    assert {"wgan-gp-celeba", "nsgan-mnist", "aae-mnist"} <= set(GENERATORS)
    for model_id in GENERATORS:
        cfg = get_pretrained_cfg(model_id)
        folder = checkpoints_dir() / model_id
        assert figures.stale_figures(cfg, folder) == [], "run `zoo cards`"
        for png in folder.glob("*.png"):
            assert png.stat().st_size < 200 * 1024, png


def test_samples_png_is_the_pixels_of_zoo_sample():
    cfg = get_pretrained_cfg("hinge-gan-mnist")
    with torch.no_grad():
        images = zoo.load(cfg.id).sample(figures.sample_count(cfg), seed=figures.SAMPLE_SEED)
    shipped = np.asarray(Image.open(checkpoints_dir() / cfg.id / figures.SAMPLES_NAME).convert("RGB"))
    np.testing.assert_array_equal(shipped, make_grid(images, 8))
    assert f"--n {figures.sample_count(cfg)} --seed 0" in figures.samples_command(cfg)


def test_only_image_generators_get_samples_and_only_gans_interpolate():
    assert not figures.is_image_generator(get_pretrained_cfg("gcn-cora"))
    assert not figures.is_image_generator(get_pretrained_cfg("aae-moses"))  # SMILES, not images
    assert figures.has_interpolation(get_pretrained_cfg("wgan-gp-celeba"))
    assert not figures.has_interpolation(get_pretrained_cfg("aae-mnist"))
    assert figures.sample_count(get_pretrained_cfg("wgan-gp-celeba")) == 16  # 64x64 RGB: 16 keep it < 200 KB
    assert figures.sample_count(get_pretrained_cfg("aae-mnist")) == 64


def test_curves_are_drawn_from_metrics_csv_and_redrawn_when_it_changes(tmp_path):
    pytest.importorskip("matplotlib")
    cfg = get_pretrained_cfg("gcn-cora")
    folder = tmp_path / cfg.id
    folder.mkdir()
    assert figures.stale_figures(cfg, folder) == []  # no metrics.csv: no curves expected
    write_metrics_csv(folder, [Point(s, None, "train/loss", 1 / (s + 1)) for s in range(50)])
    assert figures.write_figures(cfg, folder) == [folder / figures.CURVES_NAME]
    assert figures.stale_figures(cfg, folder) == []
    with Image.open(folder / figures.CURVES_NAME) as image:
        assert image.size[0] > 100 and image.text[figures.SOURCE_KEY]
    write_metrics_csv(folder, [Point(1, None, "val/acc", 0.5), Point(2, None, "val/acc", 0.7)])
    assert figures.stale_figures(cfg, folder) == [folder / figures.CURVES_NAME]


def test_a_retrained_generator_gets_new_samples(tmp_path):
    cfg = get_pretrained_cfg("wgan-mnist")
    folder = tmp_path / cfg.id
    shutil.copytree(checkpoints_dir() / cfg.id, folder)
    assert figures.stale_figures(cfg, folder) == []
    retrained = cfg.__class__(**{**cfg.__dict__, "sha256": "0" * 64})
    assert set(figures.stale_figures(retrained, folder)) == {folder / figures.SAMPLES_NAME,
                                                             folder / figures.INTERPOLATION_NAME}


def test_loss_family_figure_is_a_png():
    pytest.importorskip("matplotlib")
    family = [get_pretrained_cfg(i) for i in ("nsgan-mnist", "hinge-gan-mnist")]
    data = figures.loss_family_png(family, "test")
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.text[figures.SOURCE_KEY] == figures.loss_family_source(family)


def test_fid_protocols_put_a_migrated_card_on_the_paper_panel():
    from gan_entries import unmigrated_entry

    from bench.gan.paper_fid import migrate_entry
    from zoo.registry import PretrainedCfg

    entry = unmigrated_entry("lsgan-mnist")
    before = figures.fid_protocols(PretrainedCfg.from_dict(entry))
    assert set(before) == {"quick"}  # the small-N figure only: nothing to set beside Lucic et al.'s
    migrated = migrate_entry(entry, {"fid": 9.0, "kid": 0.002, "kid_std": 0.0001},
                             {"fid": 1.3, "kid": 0.00001, "kid_std": 0.00001})
    after = figures.fid_protocols(PretrainedCfg.from_dict(migrated))
    assert after["paper"] == (9.0, 1.3) and after["quick"] == before["quick"]
