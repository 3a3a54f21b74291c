"""Concomitant glucocorticoids: a dose per administration at a CDISC frequency as a prednisone-equivalent mg/day,
against the reference equivalences (domain-data.json glucocorticoid_equivalence)."""
from __future__ import annotations

import pytest

from ecrf.clinical.steroids import (
    ADMINISTRATIONS_PER_DAY,
    daily_dose_mg,
    mg_per_kg_per_day,
    prednisone_equivalent_daily_mg,
)


def test_reference_case_given_once_daily(steroid_case):
    value = prednisone_equivalent_daily_mg(steroid_case["drug"], steroid_case["dose_mg"], "mg", "QD")
    assert value == pytest.approx(steroid_case["expected_pred_eq_mg"], rel=1e-9)


def test_reference_case_split_in_two_doses_is_the_same_daily_dose(steroid_case):
    value = prednisone_equivalent_daily_mg(steroid_case["drug"], steroid_case["dose_mg"] / 2, "mg", "BID")
    assert value == pytest.approx(steroid_case["expected_pred_eq_mg"], rel=1e-9)


def test_reference_equivalences_per_drug(reference):
    table = reference["formulas"]["glucocorticoid_equivalence"]["equivalent_dose_mg"]
    for drug, mg in table.items():
        assert prednisone_equivalent_daily_mg(drug, mg, "mg", "QD") == pytest.approx(5.0)


@pytest.mark.parametrize(("frequency", "per_day"), [
    ("ONCE", 1), ("QD", 1), ("BID", 2), ("TID", 3), ("QID", 4), ("QOD", 0.5), ("QW", 1 / 7), ("Q2W", 1 / 14),
    ("Q4W", 1 / 28),
])
def test_administrations_per_day(frequency, per_day):
    assert daily_dose_mg(14, "mg", frequency) == pytest.approx(14 * per_day)


def test_units_and_frequencies_without_a_daily_dose_are_refused():
    assert daily_dose_mg(1, "g", "QD") == 1000 and daily_dose_mg(500, "ug", "QD") == 0.5
    for unit, frequency in (("mg/kg", "QD"), ("tablet", "QD"), ("mg", "PRN"), ("mg", "OTHER")):
        with pytest.raises(ValueError):
            daily_dose_mg(5, unit, frequency)
    assert set(ADMINISTRATIONS_PER_DAY) < {"ONCE", "QD", "BID", "TID", "QID", "QOD", "QW", "Q2W", "Q4W", "PRN",
                                          "OTHER"}


def test_methylprednisolone_8_mg_twice_daily_for_a_40_kg_child():
    daily = prednisone_equivalent_daily_mg("methylprednisolone", 8, "mg", "BID")  # 16 mg x 5 / 4 = 20 mg
    assert daily == 20 and mg_per_kg_per_day(daily, 40) == 0.5
