"""Partial dates (Item.partial): entry, storage at ISO 8601 reduced precision, comparison at their precision."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from ecrf.study import codec
from ecrf.study.checks import before, not_before_first, within_participation
from ecrf.study.definition import DefinitionError, _check_item, load
from ecrf.study.types import DataType
from ecrf.study.validation import Context, InvalidValue, clean, date_format

TZ = ZoneInfo("Asia/Shanghai")
# 2026-12-04 10:00 in Shanghai
CTX = Context(tz=TZ, now=datetime(2026, 12, 4, 2, tzinfo=timezone.utc))
ITEMS = load().items
DIAG, MHST, VISIT = ITEMS["I.SLEHX.DIAGDAT"], ITEMS["I.MH.STDAT"], ITEMS["I.SV.STDAT"]


@pytest.mark.parametrize(("typed", "stored"), [
    ("2018", "2018"), ("2018-03", "2018-03"), ("2018-03-15", "2018-03-15"), (" 2018-12 ", "2018-12"),
    ("2026", "2026"), ("2026-12", "2026-12"), ("2026-12-04", "2026-12-04"),  # this year, month, day: not future
    ("1900", "1900"),
])
def test_history_dates_accept_year_month_or_full_and_store_them_as_typed(typed, stored):
    assert clean(DIAG, typed, CTX) == stored


@pytest.mark.parametrize(("typed", "message"), [
    ("2018-13", "2018-13 is not a real month"), ("2018-00", "2018-00 is not a real month"),
    ("2018-3", "Enter a real date as YYYY-MM-DD, or YYYY-MM or YYYY"), ("18", "Enter a real date"),
    ("2018-02-30", "Enter a real date"), ("２０１８", "Enter a real date"),
    ("2027", "The date 2027 is in the future"), ("2027-01", "The date 2027-01 is in the future"),
    ("2026-12-05", "The date 2026-12-05 is in the future"), ("1899", "The year 1899 is before 1900"),
])
def test_history_dates_refuse_what_is_no_date_with_a_clear_message(typed, message):
    with pytest.raises(InvalidValue, match=message):
        clean(DIAG, typed, CTX)


@pytest.mark.parametrize("typed", ["2018", "2018-03"])
def test_a_full_date_item_refuses_a_partial_date(typed):
    with pytest.raises(InvalidValue, match=f"Enter the full date as YYYY-MM-DD: {typed} is not precise enough"):
        clean(VISIT, typed, CTX)


def test_a_month_precision_item_refuses_a_year_alone_but_takes_a_month():
    item = replace(MHST, partial="month")
    assert clean(item, "2018-03", CTX) == "2018-03"
    with pytest.raises(InvalidValue, match=r"at least the year and month \(YYYY-MM-DD, or YYYY-MM"):
        clean(item, "2018", CTX)


def test_which_items_allow_partial_dates_and_the_format_shown():
    partial = {oid for oid, i in ITEMS.items() if i.partial}
    assert partial == {"I.SLEHX.DIAGDAT", "I.SLEHX.ONSETDAT", "I.SLEHX.ANADAT", "I.MH.STDAT", "I.MH.ENDAT"}
    assert (date_format(DIAG), date_format(replace(DIAG, partial="month")), date_format(VISIT)) == (
        "YYYY-MM-DD, YYYY-MM or YYYY", "YYYY-MM-DD or YYYY-MM", "YYYY-MM-DD")
    assert "YYYY-MM or YYYY" in DIAG.help and "15th" not in DIAG.help + MHST.help


@pytest.mark.parametrize("bad", [
    replace(ITEMS["I.VS.DTC"], partial="year"), replace(ITEMS["I.VS.TEMP"], partial="year"),
    replace(DIAG, partial="day"), replace(DIAG, partial="decade"),
])
def test_the_definition_allows_partial_only_on_dates_to_year_or_month(bad):
    with pytest.raises(DefinitionError, match="only a date may be partial"):
        _check_item(bad)


def test_a_partial_visit_date_item_is_refused():
    from ecrf.study.crfs import FORMS
    from ecrf.study.definition import Study
    from ecrf.study.schedule import SCHEDULE

    forms = tuple(replace(f, groups=tuple(replace(g, items=tuple(replace(i, partial="year") if i.oid == VISIT.oid
                                                                 else i for i in g.items)) for g in f.groups))
                  for f in FORMS)
    with pytest.raises(DefinitionError, match="I.SV.STDAT must be a required full date"):
        Study(SCHEDULE, forms).check()


@pytest.mark.parametrize(("stored", "span", "precision"), [
    ("2018", (date(2018, 1, 1), date(2018, 12, 31)), "year"),
    ("2024-02", (date(2024, 2, 1), date(2024, 2, 29)), "month"),  # leap year
    ("2023-02", (date(2023, 2, 1), date(2023, 2, 28)), "month"),
    ("2018-12", (date(2018, 12, 1), date(2018, 12, 31)), "month"),
    ("2018-03-15", (date(2018, 3, 15), date(2018, 3, 15)), "day"),
    ("2026-11-30T17:00:00Z", (date(2026, 12, 1), date(2026, 12, 1)), "day"),  # the site's day (Shanghai)
    ("2018-13", None, None), ("0999", None, None), ("", None, None), (None, None, None),
])
def test_the_codec_reads_a_stored_date_as_the_days_it_may_be(stored, span, precision):
    assert codec.date_span(stored, TZ) == span
    assert codec.precision(stored) == precision


def test_a_partial_date_is_no_full_date_for_readers_that_need_one():
    assert codec.decode(DIAG, "2018") is None and codec.decode_date("2018-03") is None
    assert codec.local_date("2018", TZ) is None
    assert codec.display(DIAG, "2018-03", TZ) == "2018-03" and codec.to_input(DIAG, "2018", TZ) == "2018"


# -- comparisons at the partial date's precision -----------------------------------------------------------------

ORDER = before("T.ORDER", "I.MH.STDAT", "I.MH.ENDAT", "end before start", strict=False, partial=True)
STRICT = before("T.STRICT", "I.MH.STDAT", "I.MH.ENDAT", "end before start", partial=True)


@pytest.mark.parametrize(("start", "end", "holds", "strict_holds"), [
    ("2018", "2018-03-15", True, True),  # the start may be January 2018
    ("2019", "2018-03-15", False, False),  # every day of 2019 is after
    ("2018-03", "2018-03-01", True, False),  # on the 1st at best: fine unless strictly before
    ("2018-04", "2018-03-31", False, False),
    ("2018-03-15", "2018", True, True), ("2018-03-15", "2017", False, False),
    ("2018", "2018", True, True), ("2018-12-31", "2018", True, False),
    ("2018-03-10", "2018-03-09", False, False), ("2018-03-09", "2018-03-09", True, False),  # full dates as before
    ("2018", None, True, True),
])
def test_order_of_partial_dates_is_wrong_only_when_wrong_for_every_day(start, end, holds, strict_holds):
    values = {"I.MH.STDAT": start, "I.MH.ENDAT": end}
    assert ORDER.holds(values, {}, CTX) is holds
    assert STRICT.holds(values, {}, CTX) is strict_holds


@pytest.mark.parametrize(("onset", "holds"), [("2026", True), ("2026-10", False), ("2026-11", True),
                                              ("2026-10-31", False), ("2025", False)])
def test_not_before_consent_at_the_partial_dates_precision(onset, holds):
    check = not_before_first("T.AFTER", "I.MH.STDAT", "I.IC.DTC", "before consent")
    assert check.holds({"I.MH.STDAT": onset}, {"I.IC.DTC": "2026-11-01T00:30:00Z"}, CTX) is holds  # 08:30 local
    window = within_participation("T.IN", "I.MH.STDAT", "I.IC.DTC", ("I.EOS.DAT",), "outside")
    facts = {"I.IC.DTC": "2026-11-01T00:30:00Z", "I.EOS.DAT": "2026-11-20"}
    assert window.holds({"I.MH.STDAT": onset}, facts, CTX) is holds
    assert window.holds({"I.MH.STDAT": "2026-12"}, facts, CTX) is False  # every day after the end of study


def test_the_studys_history_date_checks_are_soft_and_partial():
    from ecrf.study.checks import Severity

    checks = {c.id: c for c in load().checks}
    for cid in ("MH.END_AFTER_START", "SLEHX.ONSET_FIRST"):
        assert checks[cid].severity is Severity.SOFT
    onset = checks["SLEHX.ONSET_FIRST"]
    assert onset.holds({"I.SLEHX.ONSETDAT": "2017", "I.SLEHX.DIAGDAT": "2018-03"}, {}, CTX)
    assert onset.holds({"I.SLEHX.ONSETDAT": "2018-03-20", "I.SLEHX.DIAGDAT": "2018-03"}, {}, CTX)
    assert not onset.holds({"I.SLEHX.ONSETDAT": "2018-04", "I.SLEHX.DIAGDAT": "2018-03"}, {}, CTX)


def test_odm_declares_partial_dates_as_partialdate():
    from ecrf.exports.odm_metadata import data_type

    assert data_type(DIAG, "data_manager") == "partialDate"
    assert data_type(VISIT, "data_manager") == "date"
    assert ITEMS["I.VS.DTC"].data_type is DataType.DATETIME and data_type(ITEMS["I.VS.DTC"], "data_manager") == \
        "datetime"
