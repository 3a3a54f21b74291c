"""Local laboratory normal ranges: which range is in force for a result, and the result's low/high flag.

Pure functions over plain values (the ranges come from ``ecrf.labs``, the result from a lab CRF). The rules, as a
laboratory states them on its report (CLSI EP28-A3c, "Defining, establishing and verifying reference intervals"):

* a range is in force from ``effective_from`` to ``effective_to`` inclusive (no end: still in force);
* its age band is in completed years, both ends inclusive (``5``-``17`` ends the day before the 18th birthday,
  ``18``-none starts on it); no bound: no limit on that side;
* its sex band is "M", "F" or None (any); a range for the subject's sex is preferred over one for any sex, and of
  two ranges equally specific the one in force most recently (latest ``effective_from``) wins;
* a value exactly at a limit is normal: low only below ``low``, high only above ``high`` (a one-sided range, such
  as CRP below 5 mg/L, has one limit).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

LOW, NORMAL, HIGH, NO_RANGE = "L", "N", "H", "NR"
SEXES = ("M", "F")


@dataclass(frozen=True)
class Range:
    """One normal range of one analyte at one laboratory (limits in ``unit``)."""

    laboratory: str  # the laboratory's code
    analyte: str  # the CRF item OID it applies to
    unit: str
    low: Decimal | None
    high: Decimal | None
    effective_from: date
    effective_to: date | None = None
    age_min: int | None = None
    age_max: int | None = None
    sex: str | None = None

    def in_force(self, on: date) -> bool:
        return self.effective_from <= on and (self.effective_to is None or on <= self.effective_to)

    def fits(self, age: int, sex: str | None) -> bool:
        """Whether the age (completed years) and sex fall in the range's bands."""
        if self.age_min is not None and age < self.age_min:
            return False
        if self.age_max is not None and age > self.age_max:
            return False
        return self.sex is None or self.sex == sex

    def describe(self) -> str:
        """The range as a laboratory prints it, with its bands: "7-56 U/L (18- y, M, from 2025-01-01)"."""
        limits = (f"{_txt(self.low)}-{_txt(self.high)}" if self.low is not None and self.high is not None
                  else f"<= {_txt(self.high)}" if self.high is not None else f">= {_txt(self.low)}")
        ages = f"{'' if self.age_min is None else self.age_min}-{'' if self.age_max is None else self.age_max} y"
        until = f" to {self.effective_to.isoformat()}" if self.effective_to else ""
        return (f"{limits} {self.unit} ({ages}, {self.sex or 'any sex'}, {self.laboratory} from "
                f"{self.effective_from.isoformat()}{until})")


@dataclass(frozen=True)
class SiteRanges:
    """A site's laboratories (their codes) and all their ranges."""

    laboratories: tuple[str, ...] = ()
    ranges: tuple[Range, ...] = ()


def _txt(x: Decimal | None) -> str:
    return "" if x is None else format(x.normalize(), "f")


def select(ranges, laboratory: str, analyte: str, on: date, age: int, sex: str | None) -> Range | None:
    """The range in force on ``on`` at ``laboratory`` for ``analyte`` and a subject of ``age`` and ``sex``."""
    fitting = [r for r in ranges
               if r.laboratory == laboratory and r.analyte == analyte and r.in_force(on) and r.fits(age, sex)]
    if not fitting:
        return None
    return max(fitting, key=lambda r: (r.sex is not None, r.effective_from))


def flag(value: Decimal, low: Decimal | None, high: Decimal | None) -> str:
    """L below ``low``, H above ``high``, otherwise N (a value at a limit is normal)."""
    if low is not None and value < low:
        return LOW
    if high is not None and value > high:
        return HIGH
    return NORMAL


def overlaps(a: Range, b: Range) -> bool:
    """Whether two ranges of the same analyte and laboratory could both be in force for one subject on one day
    with the same specificity (a data manager must end one before the other starts)."""
    if (a.laboratory, a.analyte, a.sex) != (b.laboratory, b.analyte, b.sex):
        return False
    far = date.max
    if a.effective_from > (b.effective_to or far) or b.effective_from > (a.effective_to or far):
        return False
    lo_a, hi_a = a.age_min or 0, 200 if a.age_max is None else a.age_max
    lo_b, hi_b = b.age_min or 0, 200 if b.age_max is None else b.age_max
    return lo_a <= hi_b and lo_b <= hi_a
