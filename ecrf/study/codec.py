"""The one value codec: stored canonical strings to Python values and back, and how a site reads them.

Values are stored as canonical strings (ODM ItemData/@Value): integers and decimals as written without padding,
booleans ``true``/``false``, dates ISO 8601 ``YYYY-MM-DD``, date-times in UTC as ``YYYY-MM-DDTHH:MM:SSZ``.
A date whose item allows it (``Item.partial``) may be stored at ISO 8601 reduced precision, ``YYYY-MM`` or ``YYYY``
(ODM partialDate); :func:`date_span` reads it as the days it may be, :func:`decode_date` (a full date) as None.
Every rule, calculator and page reads them through this module, so "the date of a date-time" always means the
site's calendar date. Readers never raise on a bad stored value: they return None (or the raw text for display).
"""
from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ecrf.study.types import MISSING_CODES, DataType, Item

#: kept for readers of the format; writing goes through isoformat, whose year always has four digits
#: (strftime's %Y writes year 202 as "202" on glibc: a non-ISO string that once reached the database)
DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTIAL = re.compile(r"(\d{4})(?:-(\d{2}))?")  # YYYY or YYYY-MM: a date known to its year or month
#: the precisions of a stored date, coarsest first (Item.partial names the coarsest an item allows)
PRECISIONS = ("year", "month", "day")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})")


def _readable_year(value: date) -> None:
    # the readers below refuse years before 1000 as non-canonical; never write what they would not read back
    if value.year < 1000:
        raise ValueError(f"year {value.year} is not stored: before 1000")


def encode_date(value: date) -> str:
    """A date as the stored ISO 8601 string YYYY-MM-DD (ValueError for a year before 1000)."""
    _readable_year(value)
    return value.isoformat()


def encode_datetime(value: datetime) -> str:
    """An aware datetime as the stored UTC string YYYY-MM-DDTHH:MM:SSZ (ValueError for a year before 1000 or
    a moment whose UTC time falls outside the calendar)."""
    try:
        moment = value.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("the moment is outside the calendar in UTC") from None
    _readable_year(moment)
    return moment.replace(microsecond=0, tzinfo=None).isoformat(timespec="seconds") + "Z"


def _at(moment: datetime, tz: ZoneInfo) -> datetime | None:
    """``moment`` in zone ``tz``; None when that falls outside the calendar (9999-12-31T23:00Z east of UTC)."""
    try:
        return moment.astimezone(tz)
    except (OverflowError, ValueError):
        return None


def decode_date(value: str | None) -> date | None:
    """A stored date (YYYY-MM-DD), None when absent or unreadable."""
    if not value or not _DATE.fullmatch(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def partial_span(value: str | None) -> tuple[date, date] | None:
    """The first and last day of a stored reduced-precision date (``2018``: 2018-01-01..2018-12-31; ``2018-02``:
    2018-02-01..2018-02-28); None when it is not one (a full date included: see :func:`date_span`)."""
    match = _PARTIAL.fullmatch(value or "")
    if not match or value[:4] < "1000":
        return None
    year, month = int(match[1]), int(match[2]) if match[2] else None
    if month is None:
        return date(year, 1, 1), date(year, 12, 31)
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1), date(year, month, monthrange(year, month)[1])


def precision(value: str | None) -> str | None:
    """"year", "month" or "day" for a stored date (or date-time: "day"); None when absent or unreadable."""
    if partial_span(value):
        return "year" if len(value) == 4 else "month"
    return "day" if value and (decode_date(value) or decode_datetime(value)) else None


def date_span(value: str | None, tz: ZoneInfo) -> tuple[date, date] | None:
    """The first and last site-local day a stored date, partial date or date-time may be: one day, twice, for a
    full date or a date-time; the days of its year or month for a partial date. None when absent or unreadable.

    This is how a partial date is compared (checks, "not in the future"): at its precision, as the period it
    stands for, and found out of order only when every day of it is (see ecrf.study.checks)."""
    span = partial_span(value)
    if span:
        return span
    day = local_date(value, tz)
    return (day, day) if day else None


def decode_datetime(value: str | None) -> datetime | None:
    """A stored date-time (with its UTC offset, as stored) as an aware UTC datetime; None when absent or not
    canonical (no offset, a year before 1000: what a typo once let through is never guessed at)."""
    if not value or not _DATETIME.fullmatch(value) or value[:4] < "1000":
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def local_date(value: str | None, tz: ZoneInfo) -> date | None:
    """The site-local calendar date of a stored date or UTC date-time (None when absent or unreadable)."""
    if not value:
        return None
    if "T" in value:
        moment = decode_datetime(value)
        local = _at(moment, tz) if moment else None
        return local.date() if local else None
    return decode_date(value)


def decode_decimal(value: str | None) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def decode(item: Item, value: str | None):
    """A stored value as its Python value: int, Decimal, date, aware datetime, bool or str (None if unreadable)."""
    if value is None:
        return None
    kind = item.data_type
    if kind is DataType.INTEGER:
        number = decode_decimal(value)
        return int(number) if number is not None and number == number.to_integral_value() else None
    if kind is DataType.FLOAT:
        return decode_decimal(value)
    if kind is DataType.DATE:
        return decode_date(value)
    if kind is DataType.DATETIME:
        return decode_datetime(value)
    if kind is DataType.BOOLEAN:
        return {"true": True, "false": False}.get(value)
    return value


def local_text(value: datetime, tz: ZoneInfo) -> str:
    """A moment as the site reads it, the zone named unambiguously: '2026-11-25 14:03 CST (UTC+08:00)'
    ("CST" alone could be Chicago). A moment the zone cannot show is given in UTC, never an error."""
    moment = _at(value, tz)
    if moment is None:
        return f"{value.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M} {moment.tzname()} (UTC{offset[:3]}:{offset[3:]})"


def encode_missing(code: str, reason: str | None) -> str:
    """An explicit "no value" answer as the audit trail records it: ``[NOT_DONE] oximeter broken``."""
    return f"[{code}] {reason or ''}".rstrip()


def decode_missing(text: str | None) -> tuple[str, str] | None:
    """(code, reason) of a text written by :func:`encode_missing`, else None."""
    if not text or not text.startswith("["):
        return None
    code, _, reason = text[1:].partition("] ")
    code = code.rstrip("]")
    return (code, reason) if code in MISSING_CODES else None


def display(item: Item, value: str | None, tz: ZoneInfo) -> str:
    """A stored value as a person reads it: code list labels, local times with the zone, units.

    A stored value that cannot be decoded (a bad legacy value) is shown as stored, never an error.
    """
    if value is None:
        return ""
    if item.missing_allowed and (flag := decode_missing(value)):
        return f"{MISSING_CODES[flag[0]]}: {flag[1]}"
    if item.data_type is DataType.CODELIST:
        return item.codelist.label(value) or value
    if item.data_type is DataType.BOOLEAN:
        return "Yes" if value == "true" else "No"
    if item.data_type is DataType.DATETIME:
        moment = decode_datetime(value)
        return local_text(moment, tz) if moment else value
    return f"{value} {item.units}" if item.units else value


def to_input(item: Item, value: str | None, tz: ZoneInfo) -> str:
    """A stored value as it goes back into an input box (local time for date-times)."""
    if value is None:
        return ""
    if item.data_type is DataType.DATETIME:
        moment = decode_datetime(value)
        local = _at(moment, tz) if moment else None
        return local.isoformat(timespec="minutes")[:16] if local else value
    return value
