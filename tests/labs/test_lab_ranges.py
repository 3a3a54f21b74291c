"""Which normal range is in force, and the flag, at every boundary (ecrf.clinical.lab_ranges)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from ecrf.clinical import body
from ecrf.clinical.lab_ranges import HIGH, LOW, NORMAL, Range, flag, overlaps, select

ALT = "I.CHEM.ALT"


def R(low="7", high="56", frm=date(2025, 1, 1), to=None, ages=(18, None), sex=None, lab="LAB1", analyte=ALT):
    return Range(lab, analyte, "U/L", None if low is None else D(low), None if high is None else D(high), frm, to,
                 ages[0], ages[1], sex)


@pytest.mark.parametrize(("value", "expected"), [
    ("6.9", LOW), ("7", NORMAL), ("7.0", NORMAL), ("30", NORMAL), ("56", NORMAL), ("56.00", NORMAL),
    ("56.01", HIGH), ("0", LOW),
])
def test_a_value_at_a_limit_is_normal(value, expected):
    assert flag(D(value), D("7"), D("56")) == expected


def test_one_sided_ranges():
    assert flag(D("0"), None, D("5")) == NORMAL and flag(D("5.1"), None, D("5")) == HIGH
    assert flag(D("1000"), D("1"), None) == NORMAL and flag(D("0.9"), D("1"), None) == LOW


def test_effective_dates_are_inclusive_at_both_ends():
    old = R(high="40", frm=date(2024, 1, 1), to=date(2024, 12, 31))
    new = R(high="56", frm=date(2025, 1, 1))
    ranges = (old, new)
    assert select(ranges, "LAB1", ALT, date(2023, 12, 31), 40, "M") is None  # before the first
    assert select(ranges, "LAB1", ALT, date(2024, 1, 1), 40, "M") is old
    assert select(ranges, "LAB1", ALT, date(2024, 12, 31), 40, "M") is old  # its last day
    assert select(ranges, "LAB1", ALT, date(2025, 1, 1), 40, "M") is new  # the new one's first day
    assert select(ranges, "LAB1", ALT, date(2040, 1, 1), 40, "M") is new  # no end: still in force


def test_the_18th_birthday_moves_a_child_to_the_adult_band():
    child, adult = R(high="30", ages=(5, 17)), R(high="56", ages=(18, None))
    dob = date(2008, 3, 15)
    eve, birthday = date(2026, 3, 14), date(2026, 3, 15)
    assert body.age_years(dob, eve) == 17 and body.age_years(dob, birthday) == 18
    assert select((child, adult), "LAB1", ALT, eve, body.age_years(dob, eve), "F") is child
    assert select((child, adult), "LAB1", ALT, birthday, body.age_years(dob, birthday), "F") is adult


def test_age_band_ends_are_inclusive_and_outside_every_band_is_no_range():
    child = R(ages=(5, 17))
    assert select((child,), "LAB1", ALT, date(2025, 6, 1), 5, None) is child
    assert select((child,), "LAB1", ALT, date(2025, 6, 1), 17, None) is child
    assert select((child,), "LAB1", ALT, date(2025, 6, 1), 4, None) is None
    assert select((child,), "LAB1", ALT, date(2025, 6, 1), 18, None) is None


def test_sex_bands_prefer_the_subjects_sex_over_any():
    anyone, men, women = R(high="45"), R(high="50", sex="M"), R(high="35", sex="F")
    on = date(2025, 6, 1)
    assert select((anyone, men, women), "LAB1", ALT, on, 40, "M") is men
    assert select((anyone, men, women), "LAB1", ALT, on, 40, "F") is women
    assert select((anyone, men), "LAB1", ALT, on, 40, "F") is anyone
    assert select((men,), "LAB1", ALT, on, 40, "F") is None


def test_only_the_named_laboratory_and_analyte():
    other_lab, other_test = R(lab="LAB2"), R(analyte="I.CHEM.AST")
    assert select((other_lab, other_test), "LAB1", ALT, date(2025, 6, 1), 40, "M") is None


def test_the_latest_of_two_equally_specific_ranges_wins():
    a, b = R(high="40", frm=date(2024, 1, 1)), R(high="56", frm=date(2025, 1, 1))
    assert select((a, b), "LAB1", ALT, date(2025, 6, 1), 40, "M") is b


def test_overlaps():
    assert overlaps(R(), R(frm=date(2030, 1, 1)))  # open-ended first one still in force in 2030
    assert not overlaps(R(to=date(2025, 12, 31)), R(frm=date(2026, 1, 1)))
    assert not overlaps(R(ages=(5, 17)), R(ages=(18, None)))
    assert overlaps(R(ages=(5, 18)), R(ages=(18, None)))  # both at 18
    assert not overlaps(R(sex="M"), R(sex="F")) and not overlaps(R(sex="M"), R())  # specificity differs


def test_describe_names_the_bands():
    text = R(low=None, high="50", sex="M", to=date(2026, 1, 31)).describe()
    assert text == "<= 50 U/L (18- y, M, LAB1 from 2025-01-01 to 2026-01-31)"
