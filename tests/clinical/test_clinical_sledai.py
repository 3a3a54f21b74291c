"""SLEDAI-2K total, clinical SLEDAI and activity bands."""
from __future__ import annotations

import pytest

from ecrf.clinical.sledai import (
    DESCRIPTORS,
    MAX_TOTAL,
    SEROLOGY_IDS,
    WEIGHTS,
    clinical_sledai,
    sledai_2k_total,
    sledai_band,
)

ALL_IDS = [d.id for d in DESCRIPTORS]


def test_reference_case(sledai_case):
    assert sledai_2k_total(sledai_case["present"]) == sledai_case["expected_total"]
    if "expected_clinical_sledai" in sledai_case:
        assert clinical_sledai(sledai_case["present"]) == sledai_case["expected_clinical_sledai"]


def test_descriptors_are_an_immutable_tuple_of_24_unique_ids():
    assert isinstance(DESCRIPTORS, tuple)
    assert len(set(ALL_IDS)) == 24
    assert [d.number for d in DESCRIPTORS] == list(range(1, 25))


def test_maximum_is_105_and_clinical_maximum_is_101():
    assert sledai_2k_total(ALL_IDS) == MAX_TOTAL == 105
    assert clinical_sledai(ALL_IDS) == 101


def test_alopecia_weighs_2_not_1():
    assert sledai_2k_total(["alopecia"]) == 2


@pytest.mark.parametrize("item", ALL_IDS)
def test_each_descriptor_alone_scores_its_weight(item):
    assert sledai_2k_total([item]) == WEIGHTS[item]
    assert clinical_sledai([item]) == (0 if item in SEROLOGY_IDS else WEIGHTS[item])


def test_accepts_any_iterable_and_counts_each_descriptor_once():
    assert sledai_2k_total(i for i in ["seizure", "fever"]) == 9
    assert sledai_2k_total(("fever", "fever")) == 1
    assert sledai_2k_total(frozenset()) == 0


def test_unknown_id_raises():
    with pytest.raises(ValueError, match=r"unknown SLEDAI-2K descriptor id.*alopecia_x"):
        sledai_2k_total(["seizure", "alopecia_x"])
    with pytest.raises(ValueError, match="unknown"):
        clinical_sledai(["Seizure"])  # ids are case-sensitive codes


def test_single_string_is_refused():
    with pytest.raises(ValueError, match="collection of ids"):
        sledai_2k_total("seizure")


@pytest.mark.parametrize(("total", "band"), [
    (0, "none"), (1, "low"), (4, "low"), (5, "moderate"), (10, "moderate"), (11, "high"), (105, "high"),
])
def test_band_boundaries(total, band):
    assert sledai_band(total) == band


@pytest.mark.parametrize("total", [-1, 106, 4.5, True, None, "4"])
def test_band_refuses_impossible_totals(total):
    with pytest.raises(ValueError):
        sledai_band(total)


def test_inclusion_boundary_sledai_8():
    # IN4 needs SLEDAI-2K >= 8: one CNS item alone reaches it, arthritis + rash + low complement doesn't.
    assert sledai_2k_total(["lupus_headache"]) == 8
    assert sledai_2k_total(["arthritis", "rash", "low_complement"]) == 8
    assert sledai_2k_total(["arthritis", "rash", "fever"]) == 7
