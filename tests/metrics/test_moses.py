import math
from collections import Counter

import pytest
import torch

pytest.importorskip("rdkit")

from zoo.metrics.moses import (
    FILTERS_DIR,
    ReferenceSets,
    canonical,
    cosine_similarity,
    fcd_to_reference,
    fragments,
    internal_diversity,
    is_valid,
    mol,
    moses_metrics,
    passes_filters,
    read_alert_smarts,
    scaffold_counts,
    tanimoto_aggregate,
    wasserstein_1d,
)

# A fixed sample: 10 MOSES-test molecules (seed 11) and a duplicate, a PAINS rhodanine, an S-S (MCF alert), a
# charged amine, biphenyl and two invalid strings; reference: 12 MOSES-test molecules (seed 12).
GEN = ["COC(=O)c1ccc(C)c(NC(=O)Cn2c(=O)oc3ccccc32)c1", "O=C(NC1CC1)c1cccnc1N1CCc2[nH]nc(C3CCC3)c2C1",
       "C=C(C)CN1C(=O)CSc2nnc(COc3ccc(OC)cc3)n21", "O=C(Cc1c[nH]c2ccccc12)NCC1CCCOC1",
       "CCCOc1ccc(OCC(=O)N2CCC(C(N)=O)C2)cc1", "Cc1occc1C(=O)N1CCC(Nc2cccnn2)CC1", "COC(=O)CC(NC(=O)c1cccn1C)c1cccs1",
       "COc1cc(C)c(C(=O)NC2(c3nccs3)CCCC2)cc1OC", "Cc1nc(C)c(CC(=O)Nc2ccc3c(c2)COC3)c(=O)[nH]1",
       "CCOC(=O)c1ncn2ccc(Br)cc12", "O=C1NC(=S)SC1=Cc1ccccc1", "CCSSCC", "C[N+](C)(C)C", "c1ccc(-c2ccccc2)cc1",
       "COC(=O)c1ccc(C)c(NC(=O)Cn2c(=O)oc3ccccc32)c1", "C1CC", ""]
REF = ["CNS(=O)(=O)c1cccc(C(=O)N2c3ccccc3CC2C)c1", "CCc1nnc(NC(=O)NCCCC2CCCC2)s1", "Cc1noc(CNC(=O)c2cccc(N(C)C)c2)n1",
       "CC(Cc1ccsc1)NC(=O)c1ccc(C(N)=O)cc1", "CC(C)(C)OC(=O)N1CCNCC1Cc1ccc(F)cc1", "COc1cc(OC)c(C(=O)N2CCC(CO)C(O)C2)cc1OC",
       "NS(=O)(=O)c1cc(C(=O)NC2CCc3ccc(F)cc32)cs1", "CCc1cnc(CN2CCOC(c3nc(C)n[nH]3)C2)o1",
       "COC(=O)C(C)CNC(=O)Nc1ccc(SC)cc1", "C#CCN1CCN(C(=O)NC2CCCCC2C(=O)NC)CC1",
       "O=C(Cc1ccc[nH]1)N1CCC(c2nc(C(F)(F)F)c[nH]2)CC1", "CCOCCOC(=O)c1c(-c2ccccc2)noc1C"]
# The same metrics computed by a separate script that follows molsets (moses/metrics/metrics.py, utils.py) line by
# line: GetMorganFingerprintAsBitVect(r=2, 1024), its float32 average_agg_tanimoto, FragmentOnBRICSBonds counts,
# 1 - scipy cosine distance, the mcf.csv + wehi_pains.csv SMARTS as pandas reads them (unstripped), MOSES' own
# SA_Score/sascorer.py with its fpscores.pkl.gz, scipy.stats.wasserstein_distance.
MOLSETS = {"valid": 15 / 17, "intdiv": 0.8236595418718126, "intdiv2": 0.70198226822322, "snn": 0.1931971843043963,
           "frag": 0.7500586006173493, "scaf": 0.0, "filters": 0.8, "logp": 0.333544, "sa": 0.2423803560991387,
           "qed": 0.0831300049698398, "weight": 40.4701}


def test_validity_never_raises():
    assert is_valid("c1ccccc1") and not is_valid("C1CC") and not is_valid("") and not is_valid("xyz")
    assert canonical("OCC") == "CCO" and canonical("((") is None


def test_moses_filters():
    assert passes_filters("CC(=O)Nc1ccc(O)cc1")  # paracetamol
    assert not passes_filters("C[N+](C)(C)C")  # charged
    assert not passes_filters("CC[Si](C)C")  # atom outside C N S O F Cl Br H
    assert not passes_filters("C1CCCCCCC1")  # ring of 8
    assert not passes_filters("CCSSCC")  # MCF: S-S
    assert not passes_filters("O=C1NC(=S)SC1=Cc1ccccc1")  # WEHI PAINS ene_rhod


def test_alerts_are_the_moses_files_shipped_with_their_licence():
    smarts = read_alert_smarts()
    assert len(smarts) == 22 + 480 and smarts[0] == "[#6]=&!@[#6]-[#6]#[#7]"
    assert all(s == s.strip() and s for s in smarts)
    assert "Insilico Medicine" in (FILTERS_DIR / "LICENSE").read_text()


def test_fragments_are_counted_with_repeats():
    # MOSES counts every piece FragmentOnBRICSBonds leaves; BRICSDecompose would give each piece once
    pieces = fragments(mol("CCOc1ccc(OCC)cc1"))
    assert sorted(pieces) == ["[16*]c1ccc([16*])cc1", "[3*]O[3*]", "[3*]O[3*]", "[4*]CC", "[4*]CC"]


def test_internal_diversity_by_hand():
    fps = torch.tensor([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # T = [[1, .5], [.5, 1]]
    assert internal_diversity(fps, p=1) == pytest.approx(0.25)
    assert internal_diversity(fps, p=2) == pytest.approx(1 - math.sqrt((1 + 0.25) / 2))


def test_wasserstein_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    a, b = [0.0, 1.0, 3.0, 3.5], [0.5, 2.0, 2.0, 7.0, 8.0]
    assert wasserstein_1d(torch.tensor(a).numpy(), torch.tensor(b).numpy()) == pytest.approx(
        stats.wasserstein_distance(a, b), rel=1e-6)
    assert wasserstein_1d(torch.tensor([1.0]).numpy(), torch.tensor([4.0]).numpy()) == pytest.approx(3.0)


def test_metrics_match_molsets_on_a_fixed_sample():
    out = moses_metrics(GEN, ReferenceSets(test=REF, train=set()), ks=(1000,), with_fcd=False)
    for name, expected in MOLSETS.items():
        assert out[name] == pytest.approx(expected, rel=1e-7, abs=1e-9), name


def test_tanimoto_and_cosine():
    a = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    b = torch.tensor([[1.0, 0.0, 0.0]])
    assert tanimoto_aggregate(a, b, "max").tolist() == [0.5, 0.0]
    c = torch.tensor([[1.0, 1.0, 1.0], [0.0, 1.0, 1.0]])
    assert torch.allclose(tanimoto_aggregate(a, c, "max"), torch.tensor([2 / 3, 0.5], dtype=torch.float64))
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
    assert out["weight"] >= 0 and out["qed"] >= 0
    empty = moses_metrics(["C1CC"], ref, ks=(1000,), with_fcd=False)
    assert empty["valid"] == 0 and math.isnan(empty["snn"]) and math.isnan(empty["intdiv2"])
    assert math.isnan(cosine_similarity(Counter(), Counter(x=1)))  # MOSES: NaN when either side has none


def test_several_powers_in_one_pass_equal_separate_passes():
    fps = (torch.rand(7, 16, generator=torch.Generator().manual_seed(0)) > 0.6).float()
    assert internal_diversity(fps, p=(1, 2)) == pytest.approx([internal_diversity(fps, 1), internal_diversity(fps, 2)])


def stage_names(err: str) -> list[str]:
    """The stages of a log (stderr not a terminal): each must be exactly one start line then one end line."""
    assert "\r" not in err and "█" not in err
    lines = err.splitlines()
    starts, ends = lines[0::2], lines[1::2]
    assert len(starts) == len(ends) and all(s.endswith(" ...") for s in starts)
    names = [s.rsplit(": ", 1)[0] for s in starts]
    assert all(e.startswith(f"{n}: done") for n, e in zip(names, ends))
    return names


def test_progress_in_a_log_is_one_stage_per_step_and_changes_no_number(capfd):
    pytest.importorskip("fcd_torch")
    quiet = moses_metrics(GEN, ReferenceSets(test=REF, train=set()), ks=(1000,))
    assert capfd.readouterr() == ("", "")  # silent unless asked
    ref = ReferenceSets(test=REF, train=set())
    shown = moses_metrics(GEN, ref, ks=(1000,), progress=True)
    assert shown == pytest.approx(quiet, nan_ok=True)
    out, err = capfd.readouterr()
    steps = ["canonical SMILES", "Morgan fingerprints", "internal diversity", "filters", "SNN", "BRICS fragments",
             "scaffolds", "logP", "SA score", "QED", "molecular weight", "ChemNet (FCD)"]
    names = stage_names(err)
    assert out == "" and [n for n in names if n.startswith("MOSES: ")] == [f"MOSES: {s}" for s in steps]
    assert sorted(n for n in names if n.startswith("MOSES reference: ")) == sorted(
        f"MOSES reference: {s}" for s in steps if s not in ("canonical SMILES", "internal diversity", "filters", "SNN"))
    assert "MOSES: canonical SMILES: 17 mol ..." in err.splitlines()
    moses_metrics(GEN, ref, ks=(1000,), progress=True)  # the reference's statistics are computed once
    assert not any(n.startswith("MOSES reference") for n in stage_names(capfd.readouterr().err))


def test_fcd_by_batches_equals_fcd_torch(monkeypatch):
    fcd_torch = pytest.importorskip("fcd_torch")
    import zoo.metrics.moses as moses

    valid = [c for c in map(canonical, GEN) if c]
    expected = fcd_torch.FCD(device="cpu", n_jobs=1)(gen=valid, ref=REF)
    assert fcd_to_reference(valid, ReferenceSets(test=REF, train=set())) == pytest.approx(expected, rel=1e-9)
    monkeypatch.setattr(moses, "FCD_BATCH", 4)  # several batches, as 10,000 molecules make
    assert fcd_to_reference(valid, ReferenceSets(test=REF, train=set())) == pytest.approx(expected, rel=1e-6)
