"""CAR-T weight-based dose, infused-dose check and lymphodepletion dose."""
from __future__ import annotations

import pytest

from ecrf.clinical.body import bsa_mosteller
from ecrf.clinical.dosing import (
    DEFAULT_DOSE_TOLERANCE,
    DOSE_LEVELS_CELLS_PER_KG,
    acceptable_range,
    cells_per_kg,
    check_infused_dose,
    lymphodepletion_dose_mg,
    total_cells,
)


def test_reference_total(cart_dose_case):
    total = total_cells(cart_dose_case["dose_cells_per_kg"], cart_dose_case["weight_kg"])
    assert total == pytest.approx(cart_dose_case["expected_total_cells"], rel=1e-9)


def test_reference_acceptable_range(cart_dose_case):
    low, high = acceptable_range(cart_dose_case["expected_total_cells"])
    assert (low, high) == pytest.approx(tuple(cart_dose_case["acceptable_range"]), rel=1e-9)


def test_reference_range_edges_are_within_and_just_outside_are_not(cart_dose_case):
    prescribed = cart_dose_case["expected_total_cells"]
    low, high = cart_dose_case["acceptable_range"]
    assert check_infused_dose(low, prescribed).within_tolerance
    assert check_infused_dose(high, prescribed).within_tolerance
    assert not check_infused_dose(low * 0.999, prescribed).within_tolerance
    assert not check_infused_dose(high * 1.001, prescribed).within_tolerance


def test_dose_levels():
    assert DOSE_LEVELS_CELLS_PER_KG == (1.5e5, 5e5, 1e6)
    assert [total_cells(d, 20) for d in DOSE_LEVELS_CELLS_PER_KG] == [3e6, 1e7, 2e7]


def test_deviation_is_signed_percent():
    over = check_infused_dose(16.5e6, 15e6)
    assert over.deviation_pct == pytest.approx(10.0)
    assert over.within_tolerance and over.tolerance_pct == pytest.approx(DEFAULT_DOSE_TOLERANCE * 100)
    under = check_infused_dose(13.5e6, 15e6)
    assert under.deviation_pct == pytest.approx(-10.0)
    exact = check_infused_dose(15e6, 15e6)
    assert exact.deviation_pct == 0.0 and exact.within_tolerance


@pytest.mark.parametrize(("infused", "within"), [(9e6, True), (11e6, True), (8.99e6, False), (11.01e6, False)])
def test_configurable_tolerance_10_percent_boundaries(infused, within):
    result = check_infused_dose(infused, 10e6, tolerance=0.10)
    assert result.within_tolerance is within
    assert result.tolerance_pct == pytest.approx(10.0)


def test_cells_per_kg():
    assert cells_per_kg(15e6, 30) == pytest.approx(5e5)


def test_lymphodepletion_dose_from_bsa():
    bsa = bsa_mosteller(180, 80)  # 2.0 m2
    assert lymphodepletion_dose_mg(25, bsa) == pytest.approx(50.0)
    assert lymphodepletion_dose_mg(1000, bsa) == pytest.approx(2000.0)
    assert lymphodepletion_dose_mg(250, bsa_mosteller(120, 22)) == pytest.approx(250 * 0.8563, abs=0.02)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: total_cells(5e5, -30), "weight"),
    (lambda: total_cells(5e5, 0), "weight"),
    (lambda: total_cells(0, 30), "dose"),
    (lambda: cells_per_kg(1e7, 0), "weight"),
    (lambda: check_infused_dose(-1, 1e7), "infused"),
    (lambda: check_infused_dose(1e7, 0), "prescribed"),
    (lambda: check_infused_dose(1e7, 1e7, tolerance=-0.1), "tolerance"),
    (lambda: check_infused_dose(1e7, 1e7, tolerance=1.5), "tolerance"),
    (lambda: lymphodepletion_dose_mg(25, 0), "BSA"),
    (lambda: lymphodepletion_dose_mg(-25, 1.2), "mg/m2"),
])
def test_invalid_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
