"""bench.reproduce_field: a shipping script's zoo train command becomes the typed reproduce field, parsed by zoo
train's own parser."""

import pytest

from bench.reproduce_field import reproduce_field
from zoo.registry import Reproduce


def test_a_zoo_train_command_becomes_the_typed_field_and_back():
    field = reproduce_field("OMP_NUM_THREADS=1 zoo train recipes/wgan-gp/celeba.yaml --device gpu "
                            "--precision bf16-mixed --max-minutes 5 --trainer.max_epochs=1000000", minutes=6.5)
    assert field["recipe"] == "recipes/wgan-gp/celeba.yaml" and field["hardware"] == "gpu"
    assert field["overrides"] == ("--trainer.max_epochs=1000000",) and field["max_minutes"] == 5
    assert Reproduce(**field).command == ("zoo train recipes/wgan-gp/celeba.yaml --device gpu --precision bf16-mixed "
                                          "--max-minutes 5 --trainer.max_epochs=1000000")


def test_anything_but_zoo_train_is_refused():
    with pytest.raises(ValueError, match="not a `zoo train` command"):
        reproduce_field("python bench/gan/pack_gpu_data.py && bash bench/gpu/gan.sh")
