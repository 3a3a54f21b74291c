"""DORIS 2021 remission, LLDAS and SRI-4."""
from __future__ import annotations

import pytest

from ecrf.clinical.outcomes import BILAG_DOMAINS, doris_remission, lldas, new_bilag_counts, sri4
from ecrf.clinical.sledai import clinical_sledai

# DORIS 2021 ---------------------------------------------------------------

def test_doris_met_with_serology_only():
    present = ["low_complement", "increased_dna_binding"]
    result = doris_remission(clinical_sledai(present), pga=0.2, pred_eq_mg_per_day=5)
    assert result.met and result.failed == ()


@pytest.mark.parametrize(("pga", "met"), [(0.0, True), (0.49, True), (0.5, False), (0.51, False)])
def test_doris_pga_below_0_5(pga, met):
    assert doris_remission(0, pga, 0).met is met


@pytest.mark.parametrize(("pred", "met"), [(0, True), (4.99, True), (5.0, True), (5.01, False), (7.5, False)])
def test_doris_prednisolone_at_most_5(pred, met):
    assert doris_remission(0, 0.0, pred).met is met


def test_doris_strict_and_configurable_steroid_limit():
    assert not doris_remission(0, 0.0, 5.0, strict_prednisone=True).met  # "<5 mg/day" reading
    assert doris_remission(0, 0.0, 4.99, strict_prednisone=True).met
    assert doris_remission(0, 0.0, 7.5, max_pred_mg_per_day=7.5).met


def test_doris_reports_failed_criteria():
    result = doris_remission(1, 1.0, 10)
    assert not result.met
    assert result.failed == ("clinical_sledai_0", "pga", "prednisolone")


@pytest.mark.parametrize(("args", "match"), [
    ((-1, 0, 0), "clinical SLEDAI"), ((0, 3.1, 0), "PGA"), ((0, -0.1, 0), "PGA"), ((0, 0, -1), "prednisolone"),
    ((0.0, 0, 0), "clinical SLEDAI"),
])
def test_doris_invalid_input_raises(args, match):
    with pytest.raises(ValueError, match=match):
        doris_remission(*args)


# LLDAS ------------------------------------------------------------------

def _lldas(present, **overrides):
    """LLDAS with every non-SLEDAI criterion at its limit unless overridden."""
    kwargs = {"pga": 1.0, "pred_eq_mg_per_day": 7.5, "new_activity": False,
              "hemolytic_anaemia_or_gi_activity": False}
    kwargs.update(overrides)
    return lldas(present, **kwargs)


def test_lldas_met_at_every_limit():
    # SLEDAI 4 from serology only, PGA exactly 1, prednisolone exactly 7.5
    result = _lldas(["low_complement", "increased_dna_binding"])
    assert result.met, result.failed


def test_lldas_sledai_boundary():
    assert _lldas(["rash", "alopecia"]).met  # 4
    result = _lldas(["rash", "alopecia", "fever"])  # 5, and fever is major organ
    assert result.failed == ("sledai_2k", "no_major_organ_activity")
    assert _lldas(["rash", "alopecia", "thrombocytopenia"]).failed == ("sledai_2k",)  # 5


@pytest.mark.parametrize("item", ["proteinuria", "hematuria", "pleurisy", "pericarditis", "fever", "vasculitis",
                                  "lupus_headache"])
def test_lldas_major_organ_activity_fails_even_with_low_total(item):
    assert "no_major_organ_activity" in _lldas([item]).failed


@pytest.mark.parametrize(("overrides", "failed"), [
    ({"pga": 1.01}, "pga"),
    ({"pred_eq_mg_per_day": 7.51}, "prednisolone"),
    ({"new_activity": True}, "no_new_activity"),
    ({"hemolytic_anaemia_or_gi_activity": True}, "no_hemolytic_anaemia_or_gi_activity"),
    ({"standard_maintenance_only": False}, "standard_maintenance_only"),
])
def test_lldas_each_other_criterion(overrides, failed):
    assert _lldas([], **overrides).failed == (failed,)


def test_lldas_configurable_steroid_limit_and_bad_ids():
    assert _lldas([], pred_eq_mg_per_day=10, max_pred_mg_per_day=10).met
    with pytest.raises(ValueError, match="unknown SLEDAI-2K descriptor"):
        _lldas(["nephritis"])
    with pytest.raises(ValueError, match="new_activity"):
        _lldas([], new_activity=None)


# SRI-4 ------------------------------------------------------------------

@pytest.mark.parametrize(("baseline", "follow_up", "met"), [(12, 8, True), (12, 9, False), (12, 0, True),
                                                            (4, 0, True), (3, 0, False), (8, 10, False)])
def test_sri4_sledai_reduction_of_at_least_4(baseline, follow_up, met):
    assert sri4(baseline, follow_up, 0, 0, 1.0, 1.0).met is met


@pytest.mark.parametrize(("new_a", "new_b", "met"), [(0, 0, True), (0, 1, True), (0, 2, False), (1, 0, False)])
def test_sri4_bilag(new_a, new_b, met):
    assert sri4(12, 4, new_a, new_b, 1.0, 1.0).met is met


@pytest.mark.parametrize(("before", "after", "met"), [
    (1.0, 1.2, True), (1.0, 1.29, True), (1.0, 1.3, False), (0.4, 0.7, False), (2.4, 2.7, False),
    (1.5, 0.5, True), (0.0, 0.3, False),
])
def test_sri4_pga_increase_below_0_3(before, after, met):
    # 0.7 - 0.4 is 0.29999999999999993 in floating point: it must still count as a rise of 0.3
    assert sri4(12, 4, 0, 0, before, after).met is met


def test_sri4_failed_criteria_and_invalid_input():
    assert sri4(10, 8, 1, 2, 1.0, 2.0).failed == (
        "sledai_reduction_ge_4", "no_new_bilag_a", "at_most_1_new_bilag_b", "pga_increase_lt_0_3")
    with pytest.raises(ValueError, match="new BILAG B"):
        sri4(10, 4, 0, -1, 1.0, 1.0)
    with pytest.raises(ValueError, match="baseline SLEDAI"):
        sri4(106, 4, 0, 0, 1.0, 1.0)
    with pytest.raises(ValueError, match="follow-up PGA"):
        sri4(10, 4, 0, 0, 1.0, 3.5)


def test_new_bilag_counts():
    baseline = dict.fromkeys(BILAG_DOMAINS, "D")
    baseline.update(renal="A", musculoskeletal="B", mucocutaneous="C")
    follow_up = dict(baseline)
    follow_up.update(renal="A", musculoskeletal="A", mucocutaneous="B", haematological="B", ophthalmic="E")
    # renal A->A is not new; musculoskeletal B->A is a new A; C->B and D->B are new Bs
    assert new_bilag_counts(baseline, follow_up) == (1, 2)
    improved = dict(baseline, renal="B")  # A->B is improvement, not a new B
    assert new_bilag_counts(baseline, improved) == (0, 0)


def test_new_bilag_counts_invalid():
    full = dict.fromkeys(BILAG_DOMAINS, "E")
    with pytest.raises(ValueError, match="9 domains"):
        new_bilag_counts({"renal": "A"}, full)
    with pytest.raises(ValueError, match="BILAG-2004 grade"):
        new_bilag_counts(full, dict(full, renal="F"))


# worked cases against docs/reference outcome_definitions ---------------------------------------------------------

def test_the_reference_limits_are_the_functions_defaults(reference):
    definitions = reference["outcome_definitions"]
    doris = definitions["doris_2021"]
    assert doris["pred_comparison"] == "<=" and doris["serology"] == "ignored"
    assert doris_remission(0, doris["pga_lt"] - 0.01, doris["pred_eq_mg_per_day_max"]).met
    assert not doris_remission(0, doris["pga_lt"], 0).met
    assert not doris_remission(doris["clinical_sledai_eq"] + 1, 0, 0).met
    low = definitions["lldas"]
    assert _lldas([], pga=low["pga_max"], pred_eq_mg_per_day=low["pred_eq_mg_per_day_max"]).met
    assert not _lldas([], pred_eq_mg_per_day=low["pred_eq_mg_per_day_max"] + 0.01).met
    assert not _lldas(["arthritis", "fever"]).met and low["sledai_2k_max"] == 4
    sri = definitions["sri_4"]
    assert sri4(10, 10 - sri["sledai_reduction_min"], 0, sri["max_new_bilag_b"], 1.0, 1.0).met
    assert not sri4(10, 10 - sri["sledai_reduction_min"] + 1, 0, 0, 1.0, 1.0).met
    assert not sri4(10, 0, 0, 0, 1.0, 1.0 + sri["pga_worsening_lt"]).met
    assert definitions["pga"]["range"] == [0, 3]


def test_new_sledai_activity_is_what_appeared_since_the_previous_assessment():
    from ecrf.clinical.outcomes import new_sledai_activity

    assert new_sledai_activity(["rash", "arthritis"], ["rash"]) == frozenset()
    assert new_sledai_activity(["rash"], ["rash", "alopecia"]) == {"alopecia"}
    assert "no_new_activity" in _lldas(["alopecia"], new_activity=bool(new_sledai_activity([], ["alopecia"]))).failed
    with pytest.raises(ValueError, match="previous SLEDAI-2K"):
        new_sledai_activity(["nephritis"], [])


@pytest.mark.parametrize(("grade", "active"), [("A", True), ("B", True), ("C", True), ("D", False), ("E", False)])
def test_bilag_gastrointestinal_activity(grade, active):
    from ecrf.clinical.outcomes import bilag_gi_active

    assert bilag_gi_active(grade) is active


def test_bilag_gastrointestinal_grade_refused():
    from ecrf.clinical.outcomes import bilag_gi_active

    with pytest.raises(ValueError, match="gastrointestinal"):
        bilag_gi_active("F")


def test_clinical_sledai_leaves_out_serology_only():
    from ecrf.clinical.sledai import SEROLOGY_IDS, sledai_2k_total

    assert SEROLOGY_IDS == {"low_complement", "increased_dna_binding"}
    present = ["low_complement", "increased_dna_binding", "arthritis", "rash"]
    assert sledai_2k_total(present) == 10 and clinical_sledai(present) == 6
    assert clinical_sledai(["low_complement"]) == 0 and clinical_sledai(["leukopenia"]) == 1
