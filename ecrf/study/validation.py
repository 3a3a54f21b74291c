"""Parse and check one submitted value against its item definition (reading stored values: ecrf.study.codec).

The web form, the JSON API and imports all call :func:`clean`, so a value is
accepted or refused with the same message whichever way it arrives. Values are
stored as canonical strings (ODM ItemData/@Value): integers and decimals as
written without padding, dates ISO 8601, date-times in UTC with ``Z``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from ecrf.study import clock, codec, literals, protocol
from ecrf.study.types import MISSING_CODES, DataType, Item

TRUE_WORDS = {"true", "1", "y", "yes"}
FALSE_WORDS = {"false", "0", "n", "no"}
CLOCK_SKEW = timedelta(minutes=5)


class InvalidValue(ValueError):
    """A value refused, with the message shown beside the field."""


@dataclass(frozen=True)
class Context:
    """What validation needs to know about the moment and place of entry."""

    tz: ZoneInfo
    now: datetime  # aware

    @classmethod
    def now_at(cls, tz: ZoneInfo) -> Context:
        """An entry made now at a site of zone ``tz``."""
        return cls(tz=tz, now=clock.utcnow())

    @property
    def today(self) -> date:
        return clock.today_at(self.tz, self.now)


def _range_text(item: Item) -> str:
    unit = f" {item.units}" if item.units else ""
    if item.min is not None and item.max is not None:
        return f"{item.min}–{item.max}{unit}"
    if item.min is not None:
        return f"at least {item.min}{unit}"
    return f"at most {item.max}{unit}"


def _number(item: Item, text: str) -> str:
    # one spelling: Decimal and int also take 1_0_0, +5, 1e999999 and every script's digits
    spelt = literals.is_decimal(text) if item.data_type is DataType.FLOAT else literals.is_integer(text)
    try:
        if not spelt:
            raise ValueError(text)
        number = Decimal(text.replace(",", ".")) if item.data_type is DataType.FLOAT else Decimal(int(text))
    except (InvalidOperation, ValueError):
        kind = "a whole number" if item.data_type is DataType.INTEGER else "a number"
        raise InvalidValue(f"Enter {kind}.") from None
    if not number.is_finite():
        raise InvalidValue("Enter a finite number.")
    if item.data_type is DataType.FLOAT and item.decimals is not None:
        if -number.as_tuple().exponent > item.decimals:
            raise InvalidValue(f"Enter at most {item.decimals} decimal place(s).")
    if (item.min is not None and number < Decimal(str(item.min))) or (
        item.max is not None and number > Decimal(str(item.max))
    ):
        raise InvalidValue(f"{text} is outside the allowed range {_range_text(item)}.")
    return format(number.normalize(), "f") if item.data_type is DataType.FLOAT else str(int(number))


def _latest_plausible(today: date) -> date:
    years = protocol.active().max_future_years
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def _plausible(value: date, item: Item, ctx: Context) -> None:
    """Refuse a year outside the protocol's plausible range (a typo such as 0202 or 20226, never stored)."""
    earliest = protocol.active().earliest_plausible_year
    if value.year < earliest:
        raise InvalidValue(f"The year {value.year} is before {earliest}: check the year.")
    if item.allow_future and value > _latest_plausible(ctx.today):
        raise InvalidValue(f"The year {value.year} is more than {protocol.active().max_future_years} years "
                           "ahead: check the year.")


_PARTIAL_WORDS = {"year": "YYYY-MM-DD, or YYYY-MM or YYYY when the day or month is unknown",
                  "month": "YYYY-MM-DD, or YYYY-MM when the day is unknown"}


def date_format(item: Item) -> str:
    """How a date of ``item`` is written, as the form's placeholder and the blank CRF show it."""
    return {"year": "YYYY-MM-DD, YYYY-MM or YYYY", "month": "YYYY-MM-DD or YYYY-MM"}.get(item.partial, "YYYY-MM-DD")


def _partial(item: Item, text: str, ctx: Context) -> str | None:
    """A date typed to its month or year (``2018-03``, ``2018``), stored as typed (ISO 8601 reduced precision);
    None when ``text`` has not that shape. "Not in the future" is judged at its precision: ``2026-12`` is not in
    the future on 2026-12-04 (it may be the 1st), ``2027`` is."""
    shaped = len(text) in (4, 7) and text[:4].isdigit() and (len(text) == 4 or (text[4] == "-" and text[5:].isdigit()))
    if not shaped or not text.isascii():
        return None
    if item.partial is None:
        raise InvalidValue(f"Enter the full date as YYYY-MM-DD: {text} is not precise enough for this item.")
    if len(text) == 4 and item.partial == "month":
        raise InvalidValue(f"Enter at least the year and month ({_PARTIAL_WORDS['month']}).")
    span = codec.partial_span(text)
    if span is None:
        raise InvalidValue(f"{text} is not a real month: enter {_PARTIAL_WORDS[item.partial]}.")
    _plausible(span[0], item, ctx)
    if not item.allow_future and span[0] > ctx.today:
        raise InvalidValue(f"The date {text} is in the future.")
    return text


def _date(item: Item, text: str, ctx: Context) -> str:
    partial = _partial(item, text, ctx)
    if partial is not None:
        return partial
    try:
        value = date.fromisoformat(text)
    except ValueError:
        words = _PARTIAL_WORDS.get(item.partial, "YYYY-MM-DD")
        raise InvalidValue(f"Enter a real date as {words}.") from None
    _plausible(value, item, ctx)
    if not item.allow_future and value > ctx.today:
        raise InvalidValue(f"The date {value.isoformat()} is in the future.")
    return codec.encode_date(value)


def _datetime(item: Item, text: str, ctx: Context) -> str:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue("Enter a real date and time as YYYY-MM-DD HH:MM.") from None
    _plausible(value.date(), item, ctx)  # before any zone arithmetic, which overflows at the calendar's ends
    if value.tzinfo is None:  # typed on a form: the site's local clock
        value = value.replace(tzinfo=ctx.tz)
    if not item.allow_future and value > ctx.now + CLOCK_SKEW:
        raise InvalidValue("The date and time is in the future.")
    return codec.encode_datetime(value)


def clean(item: Item, raw, ctx: Context) -> str | None:
    """The canonical stored string for ``raw``, None when empty; raises InvalidValue with a field message."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raw = "true" if raw else "false"
    text = str(raw).strip()
    if text == "":
        return None
    if len(text) > item.max_length:
        raise InvalidValue(f"Too long: {len(text)} characters, at most {item.max_length} allowed.")
    kind = item.data_type
    if kind in (DataType.INTEGER, DataType.FLOAT):
        return _number(item, text)
    if kind is DataType.DATE:
        return _date(item, text, ctx)
    if kind is DataType.DATETIME:
        return _datetime(item, text, ctx)
    if kind is DataType.BOOLEAN:
        word = text.lower()
        if word in TRUE_WORDS:
            return "true"
        if word in FALSE_WORDS:
            return "false"
        raise InvalidValue("Choose yes or no.")
    if kind is DataType.CODELIST:
        if text not in item.codelist.values:
            raise InvalidValue(f"Choose one of: {', '.join(i.label for i in item.codelist.items)}.")
        return text
    if "\x00" in text:
        raise InvalidValue("The text contains a control character.")
    return text


def clean_all(items, raw: dict, ctx: Context) -> tuple[dict[str, str | None], dict[str, str]]:
    """Clean every item of a form; returns (values by OID, messages by OID)."""
    values, errors = {}, {}
    for item in items:
        if item.calculated:
            continue  # derived on the server; whatever the client sent is ignored
        try:
            values[item.oid] = clean(item, raw.get(item.oid), ctx)
        except InvalidValue as exc:
            errors[item.oid] = str(exc)
    return values, errors


MISSING_REASON_MAX = 500


def clean_missing(items, raw: dict, values: dict) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """Clean the explicit "not done"/"unknown" answers (OID -> {"code", "reason"} or (code, reason)) against the
    items that allow them and the values cleaned beside them; returns (OID -> (code, reason), messages by OID).

    A flag needs a reason, and never comes with a value; an item whose definition does not allow the code
    refuses it. An empty code (a reason typed, then the flag unset) is no flag."""
    allowed = {item.oid: item for item in items}
    flags, errors = {}, {}
    for oid, given in (raw or {}).items():
        if isinstance(given, dict):
            code, reason = given.get("code"), given.get("reason")
        elif isinstance(given, (tuple, list)) and len(given) == 2:
            code, reason = given
        else:
            code, reason = given, None
        code = (str(code).strip().upper() if code is not None else "")
        if not code:
            continue
        reason = str(reason).strip() if reason is not None else ""
        item = allowed.get(oid)
        if item is None:
            continue  # the API refuses unknown OIDs before; the web sends only the form's items
        if code not in item.missing_allowed:
            words = " or ".join(f'"{MISSING_CODES[c]}"' for c in item.missing_allowed)
            errors[oid] = (f"This item cannot be answered {MISSING_CODES.get(code, code)!r}"
                           + (f": only {words}." if words else ": enter a value.")).replace("'", '"')
        elif values.get(oid) is not None:
            errors[oid] = f'Give either a value or "{MISSING_CODES[code]}", not both.'
        elif not reason:
            errors[oid] = f'Give the reason for "{MISSING_CODES[code]}".'
        elif len(reason) > MISSING_REASON_MAX or "\x00" in reason:
            errors[oid] = (f"The reason is too long (at most {MISSING_REASON_MAX} characters) or has a control "
                           "character.")
        else:
            flags[oid] = (code, reason)
    return flags, errors
