"""ICAHT (EHA/EBMT 2023, Rejeski Blood 2023;142:865) and the proposed T-ICAHT: every row of the tables at and
around each boundary, the duration rule for sparse counts, and the thresholds against docs/reference."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecrf.clinical import icaht

REPO_ROOT = Path(__file__).resolve().parents[2]

HIGH_ANC, HIGH_PLT = 3000, 250


def daily(value: float, days: int, start: int = 0, then: float = HIGH_ANC, until: int = 30) -> list[tuple[int, float]]:
    """``value`` on each of ``days`` days from ``start``, then ``then`` every day to ``until`` (daily counts: the
    duration is exactly ``days``)."""
    return [(d, value if d < start + days else then) for d in range(start, until + 1)]


# -- early N-ICAHT (days 0-30): ANC <= 500/µL for <7 d G1, 7-13 G2, 14-30 G3; <= 100 >= 7 d or <= 500 >= 30 d G4

@pytest.mark.parametrize(("days", "grade"), [
    (0, 0), (1, 1), (6, 1), (7, 2), (13, 2), (14, 3), (29, 3), (30, 4), (31, 4),
])
def test_early_anc_duration_at_or_below_500(days, grade):
    result = icaht.early_neutrophil(daily(300, days))
    assert (result.grade, result.days_below[500], result.days_below[100]) == (grade, days, 0)
    assert not result.provisional


@pytest.mark.parametrize(("anc", "grade"), [(500, 1), (501, 0), (0, 1)])
def test_early_anc_500_is_inside_and_501_outside(anc, grade):
    assert icaht.early_neutrophil(daily(anc, 1)).grade == grade


@pytest.mark.parametrize(("anc", "days", "grade"), [
    (100, 7, 4),   # <= 100 for 7 days: grade 4
    (101, 7, 2),   # 101 is only <= 500: 7 days is grade 2
    (100, 6, 1),   # 6 days <= 100 (and <= 500): grade 1
    (101, 6, 1),
])
def test_early_anc_100_for_7_days_is_grade_4(anc, days, grade):
    result = icaht.early_neutrophil(daily(anc, days))
    assert result.grade == grade and result.days_below[500] == days


def test_early_anc_100_for_6_days_inside_14_days_at_or_below_500_is_grade_3():
    counts = [(d, 50 if d < 6 else 400 if d < 14 else HIGH_ANC) for d in range(31)]
    result = icaht.early_neutrophil(counts)
    assert (result.grade, result.days_below) == (3, {500: 14, 100: 6})


def test_day_31_is_not_early_and_days_before_0_are_not_counted():
    counts = [(d, 200) for d in range(-4, 0)] + [(d, HIGH_ANC) for d in range(31)] + [(31, 10), (32, 10)]
    result = icaht.early_neutrophil(counts)
    assert result.grade == 0 and result.days_below[500] == 0


# -- late N-ICAHT (after day 30): ANC <= 1500 / 1000 / 500 / 100 = grade 1 / 2 / 3 / 4, on two or more tests

@pytest.mark.parametrize(("anc", "grade"), [
    (1501, 0), (1500, 1), (1001, 1), (1000, 2), (501, 2), (500, 3), (101, 3), (100, 4), (0, 4),
])
def test_late_anc_thresholds(anc, grade):
    result = icaht.late_neutrophil([(45, anc), (60, anc), (90, 4000)])
    assert result.grade == grade and result.counts == 3


def test_late_needs_two_tests_the_second_lowest_count_grades():
    assert icaht.late_neutrophil([(40, 50), (60, 2500)]).grade == 0  # one low test: transient
    assert icaht.late_neutrophil([(40, 50), (60, 900), (90, 2500)]).grade == 2
    assert icaht.late_neutrophil([(30, 50), (31, 2000)]).grade == 0  # day 30 is early, not late


def test_late_window_can_end_at_a_given_day():
    counts = [(60, 400), (120, 400)]
    assert icaht.late_neutrophil(counts).grade == 3
    assert icaht.late_neutrophil(counts, last_day=100).grade == 0


# -- early T-ICAHT: PLT < 50 x10^9/L for 1-6 d G1, >= 7 d G2; < 20 for 1-13 d G3, >= 14 d G4

@pytest.mark.parametrize(("plt", "days", "grade"), [
    (50, 1, 0), (49, 1, 1), (49, 6, 1), (49, 7, 2), (20, 7, 2), (20, 30, 2),
    (19, 1, 3), (19, 13, 3), (19, 14, 4), (0, 31, 4),
])
def test_early_platelets(plt, days, grade):
    result = icaht.early_platelet(daily(plt, days, then=HIGH_PLT))
    assert result.grade == grade


def test_early_platelet_durations_are_reported_per_threshold():
    counts = [(d, 10 if d < 3 else 40 if d < 9 else HIGH_PLT) for d in range(31)]
    assert icaht.early_platelet(counts).days_below == {50: 9, 20: 3}


# -- late T-ICAHT: PLT < 100 G1, < 50 G2, < 20 for 1-13 d G3, >= 14 d G4 (two or more tests)

@pytest.mark.parametrize(("plt", "grade"), [(100, 0), (99, 1), (50, 1), (49, 2), (20, 2), (19, 3)])
def test_late_platelet_thresholds(plt, grade):
    assert icaht.late_platelet([(40, plt), (45, plt), (120, HIGH_PLT)]).grade == grade


@pytest.mark.parametrize(("days", "grade"), [(13, 3), (14, 4)])
def test_late_platelets_below_20_for_14_days_is_grade_4(days, grade):
    counts = [(d, 15 if d < 31 + days else HIGH_PLT) for d in range(31, 80)]
    result = icaht.late_platelet(counts)
    assert (result.grade, result.days_below[20]) == (grade, days)


# -- durations from sparse counts (the module's documented rule)

def test_a_count_stands_for_up_to_7_days():
    result = icaht.early_neutrophil([(0, 300), (7, HIGH_ANC), (14, HIGH_ANC), (21, HIGH_ANC), (28, HIGH_ANC)])
    assert result.days_below[500] == 7 and result.grade == 2 and not result.provisional
    gap = icaht.early_neutrophil([(0, 300), (10, HIGH_ANC), (17, HIGH_ANC), (24, HIGH_ANC)])
    assert gap.days_below[500] == 8 and gap.unknown_days == 2 and gap.provisional  # days 8-9 unknown


def test_a_subject_followed_to_day_12_has_a_provisional_early_grade():
    result = icaht.early_neutrophil(daily(300, 10, until=12))
    assert result.grade == 2 and result.provisional and result.unknown_days == 30 - 12 - icaht.MAX_CARRY_DAYS


def test_a_recovery_shorter_than_3_days_counts_as_days_below():
    unstable = [(d, 900 if d in (5, 6) else 300 if d < 12 else HIGH_ANC) for d in range(31)]
    assert icaht.early_neutrophil(unstable).days_below[500] == 12  # 10 days below + 2 of non-stable recovery
    stable = [(d, 900 if d in (5, 6, 7) else 300 if d < 12 else HIGH_ANC) for d in range(31)]
    assert icaht.early_neutrophil(stable).days_below[500] == 9  # the 3-day recovery is stable: not counted


def test_cumulative_days_below_across_stable_recoveries():
    counts = [(d, 300 if d < 5 or 10 <= d < 15 else HIGH_ANC) for d in range(31)]
    assert icaht.early_neutrophil(counts).days_below[500] == 10 and icaht.early_neutrophil(counts).grade == 2


def test_a_count_after_lymphodepletion_carries_into_day_0_and_the_lowest_of_a_day_counts():
    result = icaht.early_neutrophil([(-2, 200), (3, 2000), (3, 450), (4, HIGH_ANC)] +
                                    [(d, HIGH_ANC) for d in range(5, 31)])
    assert result.days_below[500] == 4  # days 0-2 carried from day -2, day 3 at its lowest (450)


def test_no_counts_cannot_be_graded():
    for grade in (icaht.early_neutrophil([]), icaht.late_neutrophil([(10, 100)]), icaht.early_platelet([(40, 5)]),
                  icaht.late_platelet([])):
        assert grade.grade is None and grade.problem.startswith("no ")
    assert icaht.early_neutrophil([(-30, 100)]).problem == "no neutrophil count from day 0 to day 30"


def test_units_and_bad_input():
    assert icaht.anc_per_ul(0.5) == 500 and icaht.anc_per_ul(0.1) == pytest.approx(100)
    with pytest.raises(ValueError):
        icaht.early_neutrophil([(1, -5)])
    with pytest.raises(ValueError):
        icaht.early_neutrophil([("1", 100)])


# -- the thresholds are those of docs/reference/domain-reference.md section 7

def _reference_lines() -> str:
    text = (REPO_ROOT / "docs" / "reference" / "domain-reference.md").read_text(encoding="utf-8")
    return " ".join(line for line in text.splitlines() if "ICAHT" in line or "ANC ≤" in line or "PLT<" in line)


def test_thresholds_match_the_reference():
    ref = _reference_lines()
    assert "early G1 ANC ≤500 for <7 d; G2 7–13 d; G3 14–30 d" in ref
    assert "G4 ANC ≤100 for ≥7 d or ≤500 for ≥30 d" in ref
    assert (icaht.ANC_SEVERE, icaht.EARLY_ANC_GRADE2_DAYS, icaht.EARLY_ANC_GRADE3_DAYS) == (500, 7, 14)
    assert (icaht.ANC_PROFOUND, icaht.EARLY_ANC_PROFOUND_DAYS, icaht.EARLY_ANC_GRADE4_DAYS) == (100, 7, 30)
    late = re.search(r"Late G1–G4: ANC ≤(\d+) / ≤(\d+) / ≤(\d+) / ≤(\d+)", ref)
    assert late and tuple(int(x) for x in late.groups()) == tuple(limit for _, limit in reversed(icaht.LATE_ANC))
    assert "early PLT<50 for 1–6 d = G1, ≥7 d = G2; PLT<20 for 1–13 d = G3, ≥14 d = G4" in ref
    assert "Late PLT<100 = G1, <50 = G2, <20 for 1–13 d = G3, ≥14 d = G4" in ref
    assert (icaht.PLT_LOW, icaht.PLT_SEVERE, icaht.PLT_LATE_MILD) == (50, 20, 100)
    assert (icaht.EARLY_PLT_GRADE2_DAYS, icaht.PLT_GRADE4_DAYS) == (7, 14)
    assert "early (D0–30) and late (>D30)" in ref
    assert (icaht.EARLY_FIRST_DAY, icaht.EARLY_LAST_DAY, icaht.LATE_FIRST_DAY) == (0, 30, 31)


def test_days_after_today_are_unknown_not_carried():
    counts = [(d, 300) for d in range(1, 10)]
    today = icaht.early_neutrophil(counts, as_of=10)
    assert (today.days_below[500], today.unknown_days) == (10, 21)  # day 0 unknown too: no count before it
    assert icaht.early_neutrophil(counts).days_below[500] == 16  # without a today: the last count stands 7 days
