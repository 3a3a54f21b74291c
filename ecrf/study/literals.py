"""The one spelling of a number and of a date that a URL, a query string or a form field may carry.

Python's own parsers are generous: ``int`` takes ``1_0_0``, ``+5``, full-width and Arabic-Indic digits and numbers
of any size; ``date.fromisoformat`` takes ``20260101``, ``2026-W01-1`` (ISO week) and ``2026-001`` (ordinal).
What they let through is either guessed at (which week day did the user mean?) or crashes later, where a number
meets a database column it does not fit, or a year meets arithmetic that leaves 1..9999. So every face and every
validation reads numbers and dates here: ASCII digits only, one spelling each, bounded to what the value can be.
"""
from __future__ import annotations

import re
from datetime import date

INT32_MAX = 2**31 - 1  # PostgreSQL ``integer``: every id and repeat number
INT64_MAX = 2**63 - 1  # PostgreSQL ``bigint``: the audit sequence

#: the plausible years of a date argument (a register entry, a decision, an audit filter)
MIN_YEAR, MAX_YEAR = 1900, 2100

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)")
_DATE = re.compile(r"([0-9]{4})-[0-9]{2}-[0-9]{2}")
_MAX_DIGITS = 40  # more than any bound here; stops a million-digit number before it is converted


class BadLiteral(ValueError):
    """A number or date refused; the message names what was expected, for the user or the client."""


def is_integer(text: str) -> bool:
    """``text`` is written as a whole number: an optional minus and ASCII digits, nothing else."""
    return len(text) <= _MAX_DIGITS and _INTEGER.fullmatch(text) is not None


def is_decimal(text: str) -> bool:
    """``text`` is written as a plain decimal (point or comma): no exponent, sign ``+``, ``_`` or other digits."""
    return len(text) <= _MAX_DIGITS and _DECIMAL.fullmatch(text) is not None


def integer(text: str, low: int, high: int, name: str) -> int:
    """The whole number ``text`` spells, in [low, high]; BadLiteral naming ``name`` otherwise."""
    if not is_integer(text):
        raise BadLiteral(f"{name} must be a whole number written with the digits 0-9.")
    value = int(text)
    if not low <= value <= high:
        raise BadLiteral(f"{name} must be between {low} and {high}.")
    return value


def day(text: str, name: str, min_year: int = MIN_YEAR, max_year: int = MAX_YEAR) -> date:
    """The calendar date ``text`` spells as YYYY-MM-DD with a year in [min_year, max_year]; BadLiteral otherwise."""
    match = _DATE.fullmatch(text)
    if match is None:
        raise BadLiteral(f"{name} must be a date, YYYY-MM-DD.")
    if not min_year <= int(match.group(1)) <= max_year:
        raise BadLiteral(f"{name} must be a date between {min_year} and {max_year}.")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadLiteral(f"{name} must be a date, YYYY-MM-DD.") from None  # 2026-02-30
