"""Server-side validation of single values: the same for web forms and the API."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from ecrf.study.codec import display
from ecrf.study.types import DataType, Item, codelist
from ecrf.study.validation import Context, InvalidValue, clean

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
CTX = Context(tz=ZoneInfo("Asia/Shanghai"), now=NOW)
SPO2 = Item("I.T.SPO2", "SpO2", DataType.INTEGER, units="%", min=50, max=100)
TEMP = Item("I.T.TEMP", "Temperature", DataType.FLOAT, units="°C", min=30, max=45, decimals=1)
DATE = Item("I.T.DATE", "Date", DataType.DATE)
WHEN = Item("I.T.WHEN", "When", DataType.DATETIME)
YES = Item("I.T.YN", "Yes/no", DataType.BOOLEAN)
SEX = Item("I.T.SEX", "Sex", DataType.CODELIST, codelist=codelist("CL.SEX", "Sex", ("F", "Female"), ("M", "Male")))
TEXT = Item("I.T.TEXT", "Text", DataType.TEXT, max_length=200)


@pytest.mark.parametrize("raw,stored", [("50", "50"), ("100", "100"), (" 97 ", "97"), ("", None), (None, None)])
def test_integer_inside_range_and_at_its_bounds(raw, stored):
    assert clean(SPO2, raw, CTX) == stored


@pytest.mark.parametrize("raw", ["49", "101", "140"])
def test_integer_outside_range_names_the_range(raw):
    with pytest.raises(InvalidValue, match=r"outside the allowed range 50–100 %"):
        clean(SPO2, raw, CTX)


@pytest.mark.parametrize("raw", ["abc", "97.5", "1e3", "NaN"])
def test_integer_refuses_non_integers(raw):
    with pytest.raises(InvalidValue):
        clean(SPO2, raw, CTX)


@pytest.mark.parametrize("raw,stored", [("37.5", "37.5"), ("37,5", "37.5"), ("37.0", "37"), ("45", "45")])
def test_float_is_normalised(raw, stored):
    assert clean(TEMP, raw, CTX) == stored


def test_float_refuses_too_many_decimals_and_infinity():
    with pytest.raises(InvalidValue, match="decimal"):
        clean(TEMP, "37.55", CTX)
    with pytest.raises(InvalidValue):
        clean(TEMP, "inf", CTX)


@pytest.mark.parametrize("raw", ["2026-02-31", "31/01/2026", "2026-13-01", "yesterday"])
def test_impossible_dates_are_refused(raw):
    with pytest.raises(InvalidValue, match="real date"):
        clean(DATE, raw, CTX)


def test_future_date_is_refused_but_today_in_the_site_zone_is_accepted():
    # 12:00 UTC is 20:00 in Shanghai: still 25 November there
    assert clean(DATE, "2026-11-25", CTX) == "2026-11-25"
    with pytest.raises(InvalidValue, match="in the future"):
        clean(DATE, "2026-11-26", CTX)
    assert clean(Item("I.T.PLAN", "Planned", DataType.DATE, allow_future=True), "2027-01-01", CTX) == "2027-01-01"


def test_local_datetime_is_stored_in_utc_and_shown_in_the_site_zone():
    stored = clean(WHEN, "2026-11-25T08:30", CTX)
    assert stored == "2026-11-25T00:30:00Z"
    assert display(WHEN, stored, ZoneInfo("Asia/Shanghai")) == "2026-11-25 08:30 CST (UTC+08:00)"
    with pytest.raises(InvalidValue, match="future"):
        clean(WHEN, "2026-11-25T21:00", CTX)  # 13:00 UTC, an hour ahead


def test_ten_megabyte_string_gets_a_message_not_a_crash():
    with pytest.raises(InvalidValue, match=r"Too long: 10485760 characters, at most 200"):
        clean(TEXT, "x" * 10 * 1024 * 1024, CTX)


def test_code_lists_and_booleans():
    assert clean(SEX, "F", CTX) == "F"
    with pytest.raises(InvalidValue, match="Female, Male"):
        clean(SEX, "X", CTX)
    assert clean(YES, "Yes", CTX) == "true" and clean(YES, False, CTX) == "false"
    with pytest.raises(InvalidValue):
        clean(YES, "maybe", CTX)
    assert display(SEX, "F", CTX.tz) == "Female" and display(SPO2, "97", CTX.tz) == "97 %"


def test_nul_byte_in_text_is_refused():
    with pytest.raises(InvalidValue):
        clean(TEXT, "a\x00b", CTX)


PLANNED = Item("I.T.PLAN", "Planned", DataType.DATE, allow_future=True)
PLANNED_AT = Item("I.T.PLANAT", "Planned at", DataType.DATETIME, allow_future=True)


@pytest.mark.parametrize("item,raw", [
    (WHEN, "0202-11-25T10:00"),  # the typo of the issue: stored as "202-11-25T01:54:17Z" before
    (WHEN, "0001-01-01T00:00"),  # overflowed converting to UTC: a 500
    (WHEN, "1899-12-31T23:59"),
    (DATE, "0202-11-25"), (DATE, "1899-12-31"),
    (PLANNED, "9999-12-31"), (PLANNED, "2226-11-25"),
    (PLANNED_AT, "9999-12-31T23:59"),  # stored, then overflowed every page east of UTC
    (PLANNED_AT, "2047-01-01T00:00"),
])
def test_a_year_outside_the_protocols_plausible_range_is_refused_with_a_message(item, raw):
    with pytest.raises(InvalidValue, match="year"):
        clean(item, raw, CTX)


@pytest.mark.parametrize("item,raw,stored", [
    (DATE, "1900-01-01", "1900-01-01"),
    (WHEN, "1950-06-01T12:00", "1950-06-01T04:00:00Z"),
    (PLANNED, "2046-11-25", "2046-11-25"),  # twenty years ahead: the last plausible day
    (PLANNED_AT, "2046-11-25T08:00", "2046-11-25T00:00:00Z"),
])
def test_the_bounds_of_the_plausible_range_are_accepted(item, raw, stored):
    assert clean(item, raw, CTX) == stored


def test_the_range_is_a_protocol_parameter():
    from ecrf.study import protocol

    try:
        protocol.configure(earliest_plausible_year=1950)
        with pytest.raises(InvalidValue, match="before 1950"):
            clean(DATE, "1949-12-31", CTX)
    finally:
        protocol.configure()


def test_encode_never_writes_a_non_canonical_year():
    from datetime import date

    from ecrf.study import codec

    assert codec.encode_datetime(datetime(1000, 1, 1, tzinfo=timezone.utc)) == "1000-01-01T00:00:00Z"
    assert codec.encode_datetime(datetime(2026, 11, 25, 10, 0, 5, 123, tzinfo=timezone.utc)) == "2026-11-25T10:00:05Z"
    for value in (date(202, 11, 25), datetime(202, 11, 25, tzinfo=timezone.utc)):
        with pytest.raises(ValueError):
            (codec.encode_date if type(value) is date else codec.encode_datetime)(value)


@pytest.mark.parametrize("stored", ["202-11-25T02:00:00Z", "9999-12-31T23:59:00Z", "9999-12-31T23:00:00-08:00",
                                    "0001-01-01T00:00:00+08:00", "not a date"])
def test_any_stored_date_time_is_shown_never_an_error(stored):
    from ecrf.study.codec import local_date, to_input

    assert display(WHEN, stored, ZoneInfo("Asia/Shanghai"))
    assert to_input(WHEN, stored, ZoneInfo("Asia/Shanghai"))
    local_date(stored, ZoneInfo("Asia/Shanghai"))  # None or a date, never an exception
