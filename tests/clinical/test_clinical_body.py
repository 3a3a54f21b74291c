"""Mosteller BSA, age in whole years (29 February), child or adult."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from ecrf.clinical.body import age_years, bsa_mosteller, is_child

BSA_TOL = 0.00005  # the JSON gives BSA to 4 decimals


def test_reference_case(bsa_case):
    value = bsa_mosteller(bsa_case["height_cm"], bsa_case["weight_kg"])
    assert value == pytest.approx(bsa_case["expected_bsa_m2"], abs=BSA_TOL)


@pytest.mark.parametrize(("height", "weight"), [(0, 70), (170, 0), (-170, 70), (170, -1), (float("nan"), 70),
                                                 (None, 70), (170, "70")])
def test_bsa_invalid_input_raises(height, weight):
    with pytest.raises(ValueError, match="height|weight"):
        bsa_mosteller(height, weight)


@pytest.mark.parametrize(("dob", "on", "age"), [
    (date(2010, 6, 15), date(2020, 6, 14), 9),
    (date(2010, 6, 15), date(2020, 6, 15), 10),  # on the birthday
    (date(2010, 6, 15), date(2020, 6, 16), 10),
    (date(2010, 6, 15), date(2010, 6, 15), 0),
    (date(2008, 2, 29), date(2013, 2, 28), 4),  # non-leap year: not yet 5 on 28 Feb
    (date(2008, 2, 29), date(2013, 3, 1), 5),  # ... 5 on 1 March
    (date(2008, 2, 29), date(2012, 2, 28), 3),
    (date(2008, 2, 29), date(2012, 2, 29), 4),  # leap year: on the day itself
    (date(2008, 2, 29), date(2026, 2, 28), 17),
    (date(2008, 2, 29), date(2026, 3, 1), 18),
    (date(2007, 12, 31), date(2025, 1, 1), 17),
])
def test_age_in_whole_years(dob, on, age):
    assert age_years(dob, on) == age


def test_age_accepts_datetime():
    assert age_years(date(2000, 1, 2), datetime(2018, 1, 2, 0, 1)) == 18


def test_age_refuses_date_before_birth_and_non_dates():
    with pytest.raises(ValueError, match="before the date of birth"):
        age_years(date(2020, 1, 2), date(2020, 1, 1))
    with pytest.raises(ValueError, match="must be a date"):
        age_years("2010-01-01", date(2020, 1, 1))


@pytest.mark.parametrize(("age", "child"), [(0, True), (5, True), (17, True), (17.99, True), (18, False),
                                            (40, False)])
def test_is_child_boundary(age, child):
    assert is_child(age) is child


def test_is_child_configurable_and_refuses_negative():
    assert is_child(12, adult_age=12) is False
    assert is_child(11, adult_age=12) is True
    with pytest.raises(ValueError, match="age"):
        is_child(-1)
