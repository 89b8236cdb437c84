"""Cold start: loading a GAN or an AAE imports only the family it needs (no torch_geometric, no Lightning)."""

import json
import subprocess
import sys

import pytest

HEAVY = ("torch_geometric", "lightning", "wandb", "huggingface_hub")


@pytest.mark.parametrize("model_id", ["wgan-gp-celeba", "gan-mnist", "aae-moses", "aae-mnist"])
def test_loading_a_generator_imports_no_graph_or_training_library(model_id):
    code = (f"import sys, json, zoo; zoo.load({model_id!r}); "
            f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_family_table_names_every_registered_architecture_and_its_module():
    import zoo.models
    from zoo.registry import get_architecture, list_architectures

    assert set(zoo.models.FAMILY_OF) == set(list_architectures())
    for name, module in zoo.models.FAMILY_OF.items():
        assert get_architecture(name).__module__ == f"zoo.models.{module}", name
