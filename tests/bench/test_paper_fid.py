"""bench.gan.paper_fid: the 10,000-sample FID becomes a card's headline and the small-N figure its quick check."""

from gan_entries import unmigrated_entry

from bench.gan.paper_fid import migrate_entry
from zoo.evaluation.gan import protocols_on_card
from zoo.registry import PretrainedCfg


def test_migration_makes_the_paper_protocol_the_headline_and_keeps_the_quick_check():
    entry = unmigrated_entry()
    small_n = {m["name"]: m["value"] for m in entry["metrics"]}
    scores = {"fid": 7.5, "kid": 0.002, "kid_std": 0.0001}
    floor = {"fid": 1.3, "kid": 0.00001, "kid_std": 0.00001}
    migrated = migrate_entry(entry, scores, floor)
    metrics = {m["name"]: m for m in migrated["metrics"]}
    assert [m["name"] for m in migrated["metrics"]][:2] == ["fid", "kid"] and metrics["fid"]["value"] == 7.5
    assert metrics["fid_quick"]["value"] == small_n["fid"] and metrics["kid_quick"]["value"] == small_n["kid"]
    # the card's command for the quick check measures it alone (plain `zoo eval` now takes the 10,000 samples too)
    assert metrics["fid_quick"]["command"] == "zoo eval wgan-mnist --only fid_quick,kid_quick"
    assert "10,000 generated images" in metrics["fid"]["protocol"] and "biased upward" not in metrics["fid"]["protocol"]
    assert {b["name"] for b in migrated["baselines"]} >= {"fid", "kid", "fid_quick", "kid_quick"}
    assert migrated["extra"]["fid"]["n_fake"] == 10_000 and migrated["extra"]["fid_quick"]["n_fake"] == 500
    assert all(p["other_protocol"] == "" for p in migrated["paper_results"])  # Lucic's figure: the same protocol
    cfg = PretrainedCfg.from_dict(migrated)
    assert set(protocols_on_card(cfg, {"fid_quick"})) == {"_quick"}  # zoo eval --only fid_quick: the quick one
    assert set(protocols_on_card(cfg)) == {"", "_quick"}
    assert migrate_entry(migrated, scores, floor) == migrated  # a second run changes nothing


def test_migration_states_the_target_met_or_missed_by_how_much():
    entry = unmigrated_entry()
    floor = {"fid": 1.3, "kid": 0.00001, "kid_std": 0.00001}
    missed = migrate_entry(entry, {"fid": 7.5, "kid": 0.002, "kid_std": 0.0001}, floor)
    assert "misses Lucic et al. 2018's 6.7 by 0.80" in missed["notes"] and "tried within the budget" in missed["notes"]
    assert all("not directly comparable" not in p["note"] for p in missed["paper_results"])
    met = migrate_entry(missed, {"fid": 6.1, "kid": 0.001, "kid_std": 0.0001}, floor)
    assert "at or under Lucic et al. 2018's 6.7" in met["notes"] and "misses" not in met["notes"]


def test_celeba_keeps_the_papers_figure_marked_as_another_protocol():
    import json

    from gan_entries import REPO

    entry = json.loads((REPO / "zoo/pretrained/wgan-gp-celeba.json").read_text())
    migrated = migrate_entry(entry, {"fid": 40.0, "kid": 0.03, "kid_std": 0.001},
                             {"fid": 5.0, "kid": 0.0001, "kid_std": 0.0001})
    assert migrated["extra"]["fid"]["n_real"] == 6_000 and migrated["extra"]["fid"]["n_fake"] == 10_000
    headline = next(m for m in migrated["metrics"] if m["name"] == "fid")
    assert "not the full CelebA" in headline["protocol"] and "The protocol of Lucic" not in headline["protocol"]
    assert migrated["extra"]["fid_quick"]["n_fake"] < 10_000  # the small-N check kept for tests and zoo eval
    # Gulrajani et al. scored the full CelebA, we the 6,000-face subset: never the same protocol
    papers = [p for p in migrated["paper_results"] if p["name"] == "fid"]
    assert papers and all("full CelebA" in p["other_protocol"] for p in papers)
    floor = next(b for b in migrated["baselines"] if b["name"] == "fid")
    assert floor["value"] == 5.0 and "first 3,000 faces vs its last 3,000" in floor["note"]
    assert "Against the target" not in migrated["notes"]  # issue 18 sets no CelebA target
    assert "10,000 generated images against all 6,000 faces" in migrated["notes"]
    assert "FID uses 500 generated images" not in migrated["notes"]  # the small-N headline's sentence is gone
    assert "not directly comparable with our small-N protocol" not in papers[0]["note"]
    assert migrate_entry(migrated, {"fid": 40.0, "kid": 0.03, "kid_std": 0.001},
                         {"fid": 5.0, "kid": 0.0001, "kid_std": 0.0001}) == migrated  # a second run changes nothing
