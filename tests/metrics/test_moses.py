import math
from collections import Counter

import pytest
import torch

pytest.importorskip("rdkit")

from zoo.metrics.moses import (
    ReferenceSets,
    canonical,
    cosine_similarity,
    is_valid,
    moses_metrics,
    passes_filters,
    scaffold_counts,
    tanimoto_aggregate,
)


def test_validity_never_raises():
    assert is_valid("c1ccccc1") and not is_valid("C1CC") and not is_valid("") and not is_valid("xyz")
    assert canonical("OCC") == "CCO" and canonical("((") is None


def test_moses_filters():
    assert passes_filters("CC(=O)Nc1ccc(O)cc1")  # paracetamol
    assert not passes_filters("C[N+](C)(C)C")  # charged
    assert not passes_filters("CC[Si](C)C")  # atom outside C N S O F Cl Br H
    assert not passes_filters("C1CCCCCCC1")  # ring of 8
    assert not passes_filters("CCSSCC")  # MCF: S-S


def test_tanimoto_and_cosine():
    a = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0, 0.0]])
    assert tanimoto_aggregate(a, b, "max").tolist() == [0.5, 0.0]
    assert cosine_similarity(Counter(x=2, y=1), Counter(x=2, y=1)) == pytest.approx(1.0)
    assert cosine_similarity(Counter(x=1), Counter(y=1)) == 0.0


def test_scaffolds_need_two_rings():
    counts = scaffold_counts(["c1ccccc1CC", "c1ccc(cc1)-c1ccccc1", "CCO"])
    assert list(counts) == ["c1ccc(-c2ccccc2)cc1"]


def test_metrics_on_a_hand_made_sample():
    ref = ReferenceSets(test=["CCO", "c1ccccc1O", "CC(=O)Nc1ccc(O)cc1"], train={"CCO"})
    gen = ["OCC", "CCO", "c1ccccc1O", "C1CC", ""]
    out = moses_metrics(gen, ref, ks=(1000,), with_fcd=False)
    assert out["valid"] == pytest.approx(3 / 5) and out["n_valid"] == 3
    assert out["unique@1k"] == pytest.approx(2 / 3)
    assert out["novelty"] == pytest.approx(1 / 2)  # of {CCO, Oc1ccccc1}, only the phenol is new
    assert out["snn"] == pytest.approx(1.0)  # every valid sample is in the reference set
    assert 0 < out["intdiv"] < 1 and out["filters"] == 1.0
    empty = moses_metrics(["C1CC"], ref, ks=(1000,), with_fcd=False)
    assert empty["valid"] == 0 and math.isnan(empty["snn"])
