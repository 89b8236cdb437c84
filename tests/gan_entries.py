"""A GAN card as bench/gan/ship_cpu_runs.py exported it, before bench/gan/paper_fid.py made the 10,000-sample FID
its headline: the example of an unmigrated card, once every shipped card is migrated."""

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def unmigrated_entry(model_id: str = "wgan-mnist") -> dict:
    """The registry entry of ``model_id`` with the card fields it was exported with (its small-N headline, the
    paper's figure marked as measured under another protocol)."""
    shipped = json.loads((REPO / f"zoo/pretrained/{model_id}.json").read_text())
    return {**shipped, **json.loads((REPO / f"bench/gan/results/{model_id}.cpu-ema.meta.json").read_text())}
