"""What a reader's role sees of a stored item value: the one decision every face applies.

Data minimisation (GDPR art. 5(1)(c), 25; ICH E6(R3) 2.5.5 on confidentiality):

* Site staff (investigator, coordinator) entered the data and know the participant: full values.
* Monitors see full values because source-data verification compares each entry with the hospital
  record, and a date of birth reduced to its year cannot be verified. Data managers query
  inconsistencies against the same source, so they see full values too.
* The sponsor needs no identity: an item the study definition marks ``identifying`` reaches them
  reduced ("year": a date shown as its year, enough for age-based analyses) or masked ("mask":
  free text that may hold names or places is replaced by a mark saying it is withheld).
* The administrator manages accounts and sites and sees no clinical value at all, and so does any role
  this module does not know (fail closed: a new role sees nothing until it is placed here).

Pure: no Flask, no database; the faces (web pages, API, CSV exports) call :func:`masked`.
"""
from __future__ import annotations

from ecrf.study.types import DataType, Item

YEAR, MASK = "year", "mask"
#: the masking kinds an item's ``identifying`` may name (the definition check refuses any other)
KINDS = frozenset({YEAR, MASK})

#: shown instead of a value the reader's role may not see
WITHHELD = "[withheld]"

FULL_VIEW = frozenset({"investigator", "coordinator", "monitor", "data_manager"})
REDUCED_VIEW = frozenset({"sponsor"})


def sees_full(role: str | None) -> bool:
    """Whether the role sees every value as stored (no reduction, free text included)."""
    return role in FULL_VIEW


def sees_clinical(role: str | None) -> bool:
    """Whether the role sees clinical values at all (reduced or full)."""
    return role in FULL_VIEW or role in REDUCED_VIEW


def reduces(item: Item, role: str | None) -> bool:
    """Whether ``role`` sees something other than the stored value of ``item``."""
    if role in FULL_VIEW:
        return False
    return role not in REDUCED_VIEW or item.identifying is not None


def masked(item: Item, value: str | None, role: str | None) -> str | None:
    """The stored ``value`` of ``item`` as ``role`` may see it; None stays None (an empty answer is no identity)."""
    if value is None or not reduces(item, role):
        return value
    if role not in REDUCED_VIEW:
        return WITHHELD
    if item.identifying == YEAR:
        return _year(item, value)
    return WITHHELD


def _year(item: Item, value: str) -> str:
    """The year of an ISO date or date-time; anything else (a bad legacy value) is withheld, never shown whole."""
    year = value[:4]
    if item.data_type in (DataType.DATE, DataType.DATETIME) and len(value) >= 10 and year.isascii() \
            and year.isdigit() and value[4] == "-":
        return year
    return WITHHELD
