"""2019 EULAR/ACR classification criteria."""
from __future__ import annotations

import pytest

from ecrf.clinical.eular_acr import DOMAINS, ITEM_IDS, MAX_POINTS, ana_entry_met, classify


def test_reference_case(eular_case):
    result = classify(eular_case["ana_ge_1_80"], eular_case["present"])
    expected = eular_case["expected"]
    assert result.entry_met is expected["entry_met"]
    assert result.total == expected["score"]
    assert result.classified is expected["classified"]


def test_seizure_weighs_5():
    result = classify(True, ["seizure"])
    assert (result.clinical_points, result.total) == (5, 5)


def test_only_highest_item_per_domain_counts():
    result = classify(True, ["delirium", "psychosis", "seizure", "proteinuria", "ln_class_ii_or_v"])
    assert result.clinical_points == 5 + 8
    assert set(result.counted) == {"seizure", "ln_class_ii_or_v"}


def test_maximum_scores():
    result = classify(True, ITEM_IDS)
    assert (result.clinical_points, result.immunology_points, result.total) == (39, 12, 51)
    assert MAX_POINTS == {"clinical": 39, "immunologic": 12}
    assert result.classified


def test_threshold_boundary_9_10_11_with_clinical_item():
    assert not classify(True, ["fever", "anti_dsdna_or_anti_smith"]).classified  # 8
    nine = classify(True, ["psychosis", "anti_dsdna_or_anti_smith"])
    assert (nine.total, nine.classified) == (9, False)
    ten = classify(True, ["fever", "low_c3_or_low_c4", "apl_positive", "leukopenia"])
    assert (ten.total, ten.classified) == (10, True)
    eleven = classify(True, ["seizure", "anti_dsdna_or_anti_smith"])
    assert (eleven.total, eleven.classified) == (11, True)


def test_immunology_only_never_classifies():
    result = classify(True, ["apl_positive", "low_c3_and_low_c4", "anti_dsdna_or_anti_smith"])
    assert (result.total, result.has_clinical, result.classified) == (12, False, False)
    assert result.clinical_points == 0 and result.immunology_points == 12


def test_entry_not_met_gives_no_score():
    result = classify(False, ["ln_class_iii_or_iv", "anti_dsdna_or_anti_smith"])
    assert result.entry_met is False
    assert (result.clinical_points, result.immunology_points, result.total) == (None, None, None)
    assert result.classified is False


def test_no_items():
    result = classify(True, [])
    assert (result.total, result.has_clinical, result.classified) == (0, False, False)


def test_unknown_item_raises_even_without_entry():
    with pytest.raises(ValueError, match=r"unknown EULAR/ACR 2019 item id.*malar_rash"):
        classify(False, ["malar_rash"])


def test_ana_flag_must_be_bool():
    with pytest.raises(ValueError, match="ana_titre_positive"):
        classify("yes", ["fever"])


@pytest.mark.parametrize(("denominator", "met"), [(40, False), (79, False), (80, True), (160, True)])
def test_ana_titre_entry_boundary(denominator, met):
    assert ana_entry_met(denominator) is met


def test_item_ids_unique_across_domains():
    ids = [c.id for d in DOMAINS for c in d.items]
    assert len(ids) == len(set(ids)) == 21
