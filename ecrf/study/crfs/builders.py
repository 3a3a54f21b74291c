"""Shorthands that build :class:`~ecrf.study.types.Item` definitions, one line per question.

Each returns a plain ``Item``; they only fill in the data type and make ``help`` mandatory, so
no question reaches a form without an explanation. Conventions used by every CRF module:

* OIDs: ``I.<FORM>.<NAME>`` for items, ``IG.<FORM>.<NAME>`` for groups (see ``__init__``).
* Yes/no questions whose CDASH/SDTM variable takes the NY code list (AESER, AEONGO, CMONGO,
  MHONGO, AESDTH ...) use ``CL.NY`` (stored "Y"/"N"); every other yes/no or tick-box item is a
  BOOLEAN (stored "true"/"false"), which is what the clinical calculators read.
* ``min``/``max`` are hard limits that refuse impossible values (ages 5 and up), never the
  normal range; normal ranges and ULN/LLN are recorded as data where the protocol needs them.
* Dates and date-times are "not in the future" unless ``allow_future=True`` is passed.
"""
from __future__ import annotations

from ecrf.study.types import CodeList, DataType, Item


def date(oid: str, label: str, *, help: str, **kw) -> Item:
    """A calendar date (ISO 8601)."""
    return Item(oid, label, DataType.DATE, help=help, **kw)


def datetime(oid: str, label: str, *, help: str, **kw) -> Item:
    """A date and time (stored in UTC, entered on the site's local clock)."""
    return Item(oid, label, DataType.DATETIME, help=help, **kw)


def text(oid: str, label: str, *, help: str, max_length: int = 500, **kw) -> Item:
    """Free text (kept short by default: CRFs are not a place for narratives)."""
    return Item(oid, label, DataType.TEXT, help=help, max_length=max_length, **kw)


def flag(oid: str, label: str, *, help: str, **kw) -> Item:
    """A yes/no (BOOLEAN) question."""
    return Item(oid, label, DataType.BOOLEAN, help=help, **kw)


def coded(oid: str, label: str, codelist: CodeList, *, help: str, **kw) -> Item:
    """A choice from a closed code list."""
    return Item(oid, label, DataType.CODELIST, codelist=codelist, help=help, **kw)


def integer(oid: str, label: str, units: str | None, lo: int, hi: int, *, help: str, **kw) -> Item:
    """A whole number within hard limits ``lo``..``hi``."""
    return Item(oid, label, DataType.INTEGER, units=units, min=lo, max=hi, help=help, **kw)


def decimal(oid: str, label: str, units: str | None, lo: float, hi: float, decimals: int, *, help: str,
            **kw) -> Item:
    """A decimal number within hard limits ``lo``..``hi`` with at most ``decimals`` places."""
    return Item(oid, label, DataType.FLOAT, units=units, min=lo, max=hi, decimals=decimals, help=help, **kw)
