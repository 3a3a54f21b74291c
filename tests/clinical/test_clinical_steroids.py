"""Prednisone-equivalent glucocorticoid dose and mg/kg/day."""
from __future__ import annotations

import pytest

from ecrf.clinical.steroids import (
    EQUIVALENT_DOSE_MG,
    is_high_dose,
    mg_per_kg_per_day,
    prednisone_equivalent_mg,
    prednisone_equivalent_mg_per_kg,
)


def test_reference_case(steroid_case):
    value = prednisone_equivalent_mg(steroid_case["drug"], steroid_case["dose_mg"])
    assert value == pytest.approx(steroid_case["expected_pred_eq_mg"], rel=1e-9)


@pytest.mark.parametrize("drug", sorted(EQUIVALENT_DOSE_MG))
def test_each_equivalent_dose_is_prednisone_5_mg(drug):
    assert prednisone_equivalent_mg(drug, EQUIVALENT_DOSE_MG[drug]) == 5.0


def test_drug_name_is_case_and_space_insensitive():
    assert prednisone_equivalent_mg("  Methylprednisolone ", 4) == 5.0


def test_methylprednisolone_0_8_mg_per_kg_is_prednisone_1_mg_per_kg():
    assert prednisone_equivalent_mg_per_kg("methylprednisolone", 0.8 * 50, 50) == 1.0
    assert is_high_dose(prednisone_equivalent_mg_per_kg("methylprednisolone", 0.8 * 37, 37))


@pytest.mark.parametrize(("drug", "dose", "weight", "high"), [
    ("prednisone", 30, 30, True),  # exactly 1 mg/kg/day
    ("prednisone", 29.9, 30, False),
    ("prednisone", 30.1, 30, True),
    ("dexamethasone", 0.15 * 20, 20, True),  # 0.15 x 5 / 0.75 = 1.0 despite float arithmetic
    ("hydrocortisone", 4 * 25, 25, True),
    ("methylprednisolone", 0.79 * 40, 40, False),
])
def test_high_dose_boundary(drug, dose, weight, high):
    assert is_high_dose(prednisone_equivalent_mg_per_kg(drug, dose, weight)) is high


def test_mg_per_kg_per_day():
    assert mg_per_kg_per_day(60, 30) == 2.0
    assert mg_per_kg_per_day(0, 30) == 0.0


def test_custom_table_for_alternative_equivalences():
    table = {**EQUIVALENT_DOSE_MG, "dexamethasone": 0.6}
    assert prednisone_equivalent_mg("dexamethasone", 6, table=table) == 50.0
    assert prednisone_equivalent_mg("dexamethasone", 6) == 40.0


def test_invalid_input_raises():
    with pytest.raises(ValueError, match="unknown glucocorticoid 'budesonide'"):
        prednisone_equivalent_mg("budesonide", 9)
    with pytest.raises(ValueError, match="dose"):
        prednisone_equivalent_mg("prednisone", -5)
    with pytest.raises(ValueError, match="weight"):
        mg_per_kg_per_day(30, 0)
    with pytest.raises(ValueError, match="weight"):
        prednisone_equivalent_mg_per_kg("prednisone", 30, -30)
    with pytest.raises(ValueError, match="equivalent dose"):
        prednisone_equivalent_mg("prednisone", 5, table={"prednisone": 0})
