"""Immune effector cell-associated haematotoxicity (ICAHT): early and late grades from counts over time.

Sources: Rejeski K, Subklewe M, Aljurf M, et al. Immune effector cell-associated hematotoxicity: EHA/EBMT
consensus grading and best practice recommendations. Blood 2023;142(10):865-877 (neutrophils, N-ICAHT); the
proposed thrombocytopenia grading (T-ICAHT, ash-sap table 12809257), as docs/reference/domain-reference.md
section 7 copies them:

* early N-ICAHT (days 0-30): ANC <= 500/µL for 1-6 days grade 1, 7-13 days grade 2, 14-30 days grade 3;
  ANC <= 100/µL for >= 7 days, or <= 500/µL for >= 30 days, grade 4. Day 30 meets both "14-30" and ">= 30":
  a grade is the most severe criterion met, so 30 days at <= 500/µL is grade 4.
* late N-ICAHT (after day 30): ANC <= 1500 / 1000 / 500 / 100 per µL, grades 1 / 2 / 3 / 4.
* early T-ICAHT (days 0-30): platelets < 50 x10^9/L for 1-6 days grade 1, >= 7 days grade 2; < 20 x10^9/L for
  1-13 days grade 3, >= 14 days grade 4.
* late T-ICAHT (after day 30): platelets < 100 grade 1, < 50 grade 2, < 20 for 1-13 days grade 3, >= 14 days
  grade 4.

The reference marks the neutrophil cut-offs unverified [U]; one published automation (Liang, Fred Hutch,
github emilyliangmd/automatedicahtgrading) grades the early <= 100/µL row differently (7-13 days grade 3,
>= 14 days grade 4): this module follows the repository's reference table.

How durations are computed from sparse counts (the documented rule of this module):

1. Each count has a study day (day 0 = CAR-T infusion). Several counts on one day: the lowest counts.
2. A day's state is its own count, else the latest earlier count if at most ``MAX_CARRY_DAYS`` (7: weekly
   draws) days old; a count taken before day 0 (after lymphodepletion) carries into day 0 the same way.
   Days with no count that recent, and days after today (``as_of``), are *unknown*: they never count as below
   a threshold, and make the grade provisional (the window is not fully observed).
3. A day is below a threshold when its state is <= the ANC threshold (the table says "ANC <= 500") or
   < the platelet threshold ("PLT < 50").
4. The duration below a threshold is the cumulative number of days of the window below it, plus the days of
   a non-stable recovery between two such days: a recovery is stable only when it lasts at least
   ``STABLE_RECOVERY_DAYS`` (3) consecutive days (CIBMTR engraftment; the T-ICAHT table's note "days of
   non-stable count recovery (< 3 days) are counted to the cumulative total of days"); an unknown day ends an
   episode (no recovery is counted across it).
5. Late grades need "two or more laboratory tests" at or below the threshold (the T-ICAHT table's note, which
   follows the N-ICAHT logic): the grade is that of the second-lowest count after day 30 (Liang's automation
   grades the lowest count once a second is <= 1500/µL, a grade higher in some cases); the late grade 3/4 of
   platelets also needs the duration (< 20 x10^9/L for 1-13 or >= 14 days) from rule 4 over the late window.

Units: ANC in cells/µL (the table's unit; x10^9/L x 1000 = /µL, :func:`anc_per_ul`), platelets in x10^9/L.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecrf.clinical import _checks

FORMULA_VERSION = ("ICAHT EHA/EBMT 2023 (Rejeski Blood 2023;142:865) with proposed T-ICAHT; durations: "
                   "counts carried 7 days, non-stable recovery < 3 days counted, late from 2 counts")

EARLY_FIRST_DAY, EARLY_LAST_DAY = 0, 30
LATE_FIRST_DAY = 31
MAX_CARRY_DAYS = 7
STABLE_RECOVERY_DAYS = 3

# early N-ICAHT, ANC in cells/µL ("<=")
ANC_SEVERE = 500
ANC_PROFOUND = 100
EARLY_ANC_GRADE2_DAYS = 7      # 7-13 days <= 500: grade 2
EARLY_ANC_GRADE3_DAYS = 14     # 14-30 days <= 500: grade 3
EARLY_ANC_GRADE4_DAYS = 30     # >= 30 days <= 500: grade 4
EARLY_ANC_PROFOUND_DAYS = 7    # >= 7 days <= 100: grade 4
# late N-ICAHT: (grade, ANC <= cells/µL), most severe first
LATE_ANC: tuple[tuple[int, int], ...] = ((4, 100), (3, 500), (2, 1000), (1, 1500))

# T-ICAHT, platelets in x10^9/L ("<")
PLT_LOW = 50
PLT_SEVERE = 20
PLT_LATE_MILD = 100
EARLY_PLT_GRADE2_DAYS = 7      # < 50 for >= 7 days: grade 2
PLT_GRADE4_DAYS = 14           # < 20 for >= 14 days: grade 4 (early and late)

ANC = "neutrophils"
PLATELETS = "platelets"


@dataclass(frozen=True)
class Count:
    """One count on a study day (ANC in cells/µL, platelets in x10^9/L)."""

    day: int
    value: float


@dataclass(frozen=True)
class IcahtGrade:
    """A graded window, or why it cannot be graded (``grade`` None and ``problem`` given).

    ``days_below`` maps each threshold of the window to its duration (rule 4), ``low_counts`` each late threshold
    to the number of counts at or below it; ``unknown_days`` are days of the window without a recent count
    (``provisional`` when there are any); ``counts`` is how many counts fell in the window.
    """

    lineage: str
    window: str
    grade: int | None
    days_below: dict[float, int]
    low_counts: dict[float, int]
    counts: int
    unknown_days: int
    problem: str | None = None
    formula_version: str = FORMULA_VERSION

    @property
    def provisional(self) -> bool:
        return self.grade is not None and self.unknown_days > 0


def anc_per_ul(anc_1e9_per_l: float) -> float:
    """ANC in cells/µL from x10^9/L (1 x10^9/L = 1000/µL)."""
    return _checks.non_negative("ANC (x10^9/L)", anc_1e9_per_l) * 1000.0


def _series(counts: Iterable[tuple[int, float] | Count], name: str) -> dict[int, float]:
    """The lowest count of each study day."""
    by_day: dict[int, float] = {}
    for entry in counts:
        day, value = (entry.day, entry.value) if isinstance(entry, Count) else entry
        day = _checks.integer("study day", day, -10_000, 100_000)
        value = _checks.non_negative(name, value)
        by_day[day] = min(value, by_day.get(day, value))
    return by_day


def daily_states(by_day: dict[int, float], first: int, last: int, as_of: int | None = None) -> list[float | None]:
    """The state of each day ``first``..``last`` (rule 2): its lowest count, else the latest count at most
    MAX_CARRY_DAYS old, else None (unknown); days after ``as_of`` (today's study day) have not happened yet."""
    days = sorted(by_day)
    states: list[float | None] = []
    index, latest = 0, None
    for day in range(first, last + 1):
        while index < len(days) and days[index] <= day:
            latest = days[index]
            index += 1
        known = latest is not None and day - latest <= MAX_CARRY_DAYS and (as_of is None or day <= as_of)
        states.append(by_day[latest] if known else None)
    return states


def duration_below(states: list[float | None], below) -> int:
    """Rule 4: days below, plus non-stable recoveries (known days not below, fewer than STABLE_RECOVERY_DAYS in a
    row) lying between two days below."""
    total, episode, run = 0, False, 0  # run: known days not below since the last day below
    for state in states:
        if state is None:  # an unknown day ends the episode: no recovery is counted across it
            episode, run = False, 0
        elif below(state):
            if episode and run < STABLE_RECOVERY_DAYS:
                total += run  # a non-stable recovery between two days below
            total, episode, run = total + 1, True, 0
        else:
            run += 1
    return total


def _window(by_day: dict[int, float], first: int, last: int | None,
            as_of: int | None) -> tuple[list[float | None], int, int]:
    """States over the window (to ``last`` or the last count), counts inside it, unknown days."""
    inside = [d for d in by_day if d >= first and (last is None or d <= last)]
    end = last if last is not None else max(inside, default=first)
    states = daily_states(by_day, first, end, as_of)
    return states, len(inside), sum(1 for s in states if s is None)


def _early_anc_grade(d500: int, d100: int) -> int:
    if d100 >= EARLY_ANC_PROFOUND_DAYS or d500 >= EARLY_ANC_GRADE4_DAYS:
        return 4
    if d500 >= EARLY_ANC_GRADE3_DAYS:
        return 3
    if d500 >= EARLY_ANC_GRADE2_DAYS:
        return 2
    return 1 if d500 >= 1 else 0


def _early_plt_grade(d50: int, d20: int) -> int:
    if d20 >= PLT_GRADE4_DAYS:
        return 4
    if d20 >= 1:
        return 3
    if d50 >= EARLY_PLT_GRADE2_DAYS:
        return 2
    return 1 if d50 >= 1 else 0


def _cannot(lineage: str, window: str, why: str) -> IcahtGrade:
    return IcahtGrade(lineage, window, None, {}, {}, 0, 0, problem=why)


def early_neutrophil(counts: Iterable[tuple[int, float] | Count], as_of: int | None = None) -> IcahtGrade:
    """Early N-ICAHT (days 0-30) from (study day, ANC cells/µL) counts; ``as_of``: today's study day (later days
    are unknown, and the grade provisional)."""
    by_day = _series(counts, "ANC (cells/µL)")
    states, n, unknown = _window(by_day, EARLY_FIRST_DAY, EARLY_LAST_DAY, as_of)
    if unknown == len(states):
        return _cannot(ANC, "early", "no neutrophil count from day 0 to day 30")
    d500 = duration_below(states, lambda v: v <= ANC_SEVERE)
    d100 = duration_below(states, lambda v: v <= ANC_PROFOUND)
    return IcahtGrade(ANC, "early", _early_anc_grade(d500, d100), {ANC_SEVERE: d500, ANC_PROFOUND: d100}, {}, n,
                      unknown)


def early_platelet(counts: Iterable[tuple[int, float] | Count], as_of: int | None = None) -> IcahtGrade:
    """Early T-ICAHT (days 0-30) from (study day, platelets x10^9/L) counts; ``as_of`` as for neutrophils."""
    by_day = _series(counts, "platelets (x10^9/L)")
    states, n, unknown = _window(by_day, EARLY_FIRST_DAY, EARLY_LAST_DAY, as_of)
    if unknown == len(states):
        return _cannot(PLATELETS, "early", "no platelet count from day 0 to day 30")
    d50 = duration_below(states, lambda v: v < PLT_LOW)
    d20 = duration_below(states, lambda v: v < PLT_SEVERE)
    return IcahtGrade(PLATELETS, "early", _early_plt_grade(d50, d20), {PLT_LOW: d50, PLT_SEVERE: d20}, {}, n,
                      unknown)


def _late_values(by_day: dict[int, float], last_day: int | None) -> list[float]:
    return sorted(v for d, v in by_day.items() if d >= LATE_FIRST_DAY and (last_day is None or d <= last_day))


def late_neutrophil(counts: Iterable[tuple[int, float] | Count], last_day: int | None = None) -> IcahtGrade:
    """Late N-ICAHT (after day 30, to ``last_day`` if given) from (study day, ANC cells/µL) counts: the grade of
    the second-lowest count (two tests at or below the threshold)."""
    by_day = _series(counts, "ANC (cells/µL)")
    values = _late_values(by_day, last_day)
    if not values:
        return _cannot(ANC, "late", "no neutrophil count after day 30")
    low = {limit: sum(1 for v in values if v <= limit) for _, limit in LATE_ANC}
    grade = next((g for g, limit in LATE_ANC if low[limit] >= 2), 0)
    return IcahtGrade(ANC, "late", grade, {}, low, len(values), 0)


def late_platelet(counts: Iterable[tuple[int, float] | Count], last_day: int | None = None,
                  as_of: int | None = None) -> IcahtGrade:
    """Late T-ICAHT (after day 30, to ``last_day`` if given) from (study day, platelets x10^9/L) counts."""
    by_day = _series(counts, "platelets (x10^9/L)")
    values = _late_values(by_day, last_day)
    if not values:
        return _cannot(PLATELETS, "late", "no platelet count after day 30")
    low = {limit: sum(1 for v in values if v < limit) for limit in (PLT_SEVERE, PLT_LOW, PLT_LATE_MILD)}
    states, n, unknown = _window(by_day, LATE_FIRST_DAY, last_day, as_of)
    d20 = duration_below(states, lambda v: v < PLT_SEVERE)
    if low[PLT_SEVERE] >= 2:
        grade = 4 if d20 >= PLT_GRADE4_DAYS else 3
    elif low[PLT_LOW] >= 2:
        grade = 2
    else:
        grade = 1 if low[PLT_LATE_MILD] >= 2 else 0
    return IcahtGrade(PLATELETS, "late", grade, {PLT_SEVERE: d20}, low, n, 0)
