"""B-cell aplasia and recovery after CD19 CAR-T, from peripheral CD19+ B-cell counts over study day.

docs/reference/domain-reference.md lists B-cell aplasia (and its duration) as an adverse event of special interest
and CD19+ counts as the measure (section 5, "Cellular kinetics"), without a threshold [U]. The thresholds here are
parameters (pass them to change):

- aplasia: CD19+ B cells below 10 cells/µL by absolute count, or, when only the percentage was measured, below
  1 % of lymphocytes; the absolute count decides when both exist. [U: the reference gives no number; these are the
  conventions of CD19 CAR-T reports (B cells "undetectable" at the ~10/µL floor of routine flow cytometry) and the
  options named for this work (issue 12, item 7: "< 1 % of lymphocytes or < 5 or 10 cells/µL"); a protocol
  that fixes another threshold passes it as an argument.]
- recovery (reconstitution): the first sample after aplasia at or above the threshold (Mackensen, Nat Med
  2022;28:2124: B cells reappeared at a mean of 110 +/- 32 days, domain-reference.md section 5 [V2]).
- only samples after the infusion (study day >= 1) count: lymphodepletion lowers B cells before day 0.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecrf.clinical import _checks

VERSION = "B-cell aplasia: CD19+ < 10 cells/uL (or < 1 % of lymphocytes); recovery: first sample at or above"
APLASIA_BELOW_CELLS_PER_UL = 10.0
APLASIA_BELOW_PERCENT_OF_LYMPHOCYTES = 1.0
FIRST_POST_INFUSION_DAY = 1


@dataclass(frozen=True)
class BCellCourseResult:
    """First day of aplasia, day of recovery, days of aplasia (to recovery, or to the last sample while ongoing)."""

    aplasia_day: int | None
    recovery_day: int | None
    duration_days: int | None
    ongoing: bool
    version: str = VERSION


def is_aplastic(absolute: float | None, percent: float | None, *,
                below_cells: float = APLASIA_BELOW_CELLS_PER_UL,
                below_percent: float = APLASIA_BELOW_PERCENT_OF_LYMPHOCYTES) -> bool | None:
    """Whether one sample shows aplasia: the absolute count decides, else the percentage; None if neither."""
    if absolute is not None:
        return _checks.non_negative("CD19+ B cells (cells/uL)", absolute) < below_cells
    if percent is not None:
        return _checks.in_range("CD19+ B cells (% of lymphocytes)", percent, 0.0, 100.0) < below_percent
    return None


def bcell_course(samples: Iterable[tuple[int, float | None, float | None]], *,
                 below_cells: float = APLASIA_BELOW_CELLS_PER_UL,
                 below_percent: float = APLASIA_BELOW_PERCENT_OF_LYMPHOCYTES,
                 from_day: int = FIRST_POST_INFUSION_DAY) -> BCellCourseResult:
    """The course from ``(study day, cells/uL or None, % of lymphocytes or None)`` samples, in any order."""
    states = []
    for day, absolute, percent in sorted(samples, key=lambda s: s[0]):
        _checks.integer("study day", day, -100000, 100000)
        state = is_aplastic(absolute, percent, below_cells=below_cells, below_percent=below_percent)
        if state is not None and day >= from_day:
            states.append((day, state))
    aplasia = next((day for day, aplastic in states if aplastic), None)
    if aplasia is None:
        return BCellCourseResult(None, None, None, False)
    recovery = next((day for day, aplastic in states if day > aplasia and not aplastic), None)
    if recovery is not None:
        return BCellCourseResult(aplasia, recovery, recovery - aplasia, False)
    return BCellCourseResult(aplasia, None, states[-1][0] - aplasia, True)
