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
