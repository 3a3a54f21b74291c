"""Body size and age: Mosteller body surface area, age in whole years, child or adult.

Source: Mosteller RD. N Engl J Med 1987;317:1098 (BSA m2 = sqrt(height cm x weight kg / 3600);
globalrph.com/bsa2.htm, calculatorlib Mosteller calculator).
"""
from __future__ import annotations

import math
from datetime import date, datetime

from ecrf.clinical import _checks

BSA_VERSION = "Mosteller 1987: sqrt(height_cm * weight_kg / 3600)"
MOSTELLER_CONSTANT = 3600.0
ADULT_AGE = 18  # a child is under 18 (also the eGFR equation switch)


def bsa_mosteller(height_cm: float, weight_kg: float) -> float:
    """Return the Mosteller body surface area in m2 from height (cm) and weight (kg)."""
    height = _checks.positive("height (cm)", height_cm)
    weight = _checks.positive("weight (kg)", weight_kg)
    return math.sqrt(height * weight / MOSTELLER_CONSTANT)


def age_years(date_of_birth: date, on: date) -> int:
    """Return age in completed years on a date (born 29 Feb: a year older on 1 Mar in non-leap years)."""
    for name, value in (("date of birth", date_of_birth), ("date", on)):
        if not isinstance(value, date):
            raise ValueError(f"{name} must be a date, got {value!r}")  # noqa: TRY004
    date_of_birth, on = (d.date() if isinstance(d, datetime) else d for d in (date_of_birth, on))
    if on < date_of_birth:
        raise ValueError(f"date {on.isoformat()} is before the date of birth {date_of_birth.isoformat()}")
    # Comparing (month, day) pairs: (2, 28) < (2, 29), so the 29 Feb birthday is reached on 1 Mar.
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def is_child(age: float, adult_age: int = ADULT_AGE) -> bool:
    """Return True if an age in years is below the adult age (default 18)."""
    return _checks.non_negative("age (years)", age) < adult_age
