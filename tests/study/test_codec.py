"""The value codec and the site clock: one reading of stored values, by the site's calendar."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ecrf.enrolment.eligibility import evaluate
from ecrf.study import calculators, clock, codec
from ecrf.study.definition import load
from ecrf.study.validation import Context
from ecrf.study.words import render

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 07:00 in Shanghai on 15 March is still 14 March in UTC
SAMPLE_AT_7AM_SHANGHAI = "2026-03-14T23:00:00Z"


def test_the_local_date_of_a_stored_datetime_is_the_sites_calendar_day():
    assert codec.local_date(SAMPLE_AT_7AM_SHANGHAI, SHANGHAI) == date(2026, 3, 15)
    assert codec.local_date(SAMPLE_AT_7AM_SHANGHAI, ZoneInfo("UTC")) == date(2026, 3, 14)
    assert codec.local_date("2026-03-14", SHANGHAI) == date(2026, 3, 14)  # a date is a date anywhere


@pytest.mark.parametrize("bad", ["", None, "0202-13-45", "yesterday", "2026-02-30T10:00:00Z", "\x00"])
def test_unreadable_stored_values_decode_to_none_never_raise(bad):
    assert codec.local_date(bad, SHANGHAI) is None
    assert codec.decode_datetime(bad) is None


def test_decode_gives_python_values_by_data_type():
    items = load().items
    assert codec.decode(items["I.VS.SPO2"], "97") == 97
    assert codec.decode(items["I.CHEM.CREAT"], "70.5") == Decimal("70.5")
    assert codec.decode(items["I.DM.BRTHDAT"], "2008-03-15") == date(2008, 3, 15)
    assert codec.decode(items["I.INF.STDTC"], "2026-03-14T23:00:00Z") == datetime(2026, 3, 14, 23, tzinfo=timezone.utc)
    assert codec.decode(items["I.VS.SPO2"], "97.5") is None  # not a whole number: unreadable, not truncated


def test_a_bad_legacy_datetime_is_shown_as_stored_not_an_error():
    item = load().items["I.INF.STDTC"]
    assert codec.display(item, "0202-11-25T10:00", SHANGHAI) == "0202-11-25T10:00"
    assert codec.to_input(item, "not a time", SHANGHAI) == "not a time"
    assert codec.display(item, "2026-03-14T23:00:00Z", SHANGHAI) == "2026-03-15 07:00 CST (UTC+08:00)"


def test_today_at_the_site_is_not_the_utc_date():
    now = datetime(2026, 3, 14, 23, 0, tzinfo=timezone.utc)
    assert clock.today_at(SHANGHAI, now) == date(2026, 3, 15)
    assert Context(SHANGHAI, now).today == date(2026, 3, 15)
    assert clock.zone("Asia/Shanghai") is clock.zone("Asia/Shanghai")


def test_egfr_counts_the_age_on_the_sites_date_of_the_sample():
    """Born 15 March 2008: on the site's 15 March 2026 the participant is 18 (CKD-EPI); on the UTC date 17
    (Schwartz, which needs a height that is not recorded)."""
    chem = load().form("F.CHEM")
    facts = {"I.DM.BRTHDAT": "2008-03-15", "I.DM.SEX": "F"}
    values = {"I.CHEM.CREAT": "70", "I.CHEM.DTC": SAMPLE_AT_7AM_SHANGHAI}
    at_site = calculators.calculate(chem, values, facts, Context(SHANGHAI, datetime.now(timezone.utc)))
    assert at_site["I.CHEM.EGFR"].value is not None and "CKD-EPI" in at_site["I.CHEM.EGFR"].formula
    in_utc = calculators.calculate(chem, values, facts, Context(ZoneInfo("UTC"), datetime.now(timezone.utc)))
    assert in_utc["I.CHEM.EGFR"].value is None


def test_eligibility_counts_the_age_on_the_sites_date_of_the_sample():
    screening = {"I.DM.BRTHDAT": "2008-03-15", "I.DM.SEX": "F", "I.CHEM.CREAT": "70",
                 "I.CHEM.DTC": SAMPLE_AT_7AM_SHANGHAI}
    at_site = evaluate(screening, [], tz=SHANGHAI)["IN6"]
    assert at_site.status == "met" and at_site.message.code == "egfr_calculated" and at_site.message.params["age"] == 18
    assert "age 18" in render(at_site.message) and "CKD-EPI" in render(at_site.message)
    in_utc = evaluate(screening, [], tz=ZoneInfo("UTC"))["IN6"]
    assert in_utc.status == "missing" and "I.HTWT.HEIGHT" in in_utc.missing


def test_a_calculator_that_cannot_compute_says_why():
    chem = load().form("F.CHEM")
    now = Context(SHANGHAI, datetime.now(timezone.utc))
    missing = calculators.calculate(chem, {"I.CHEM.DTC": "2026-03-01"}, {"I.DM.SEX": "F"}, now)["I.CHEM.EGFR"]
    assert missing.value is None and missing.blocked
    assert set(missing.missing) == {"I.CHEM.CREATORRES", "I.CHEM.CREATU", "I.DM.BRTHDAT"}  # creatinine as reported
    # a 16-year-old without a height: Schwartz cannot run
    child = calculators.calculate(chem, {"I.CHEM.DTC": "2026-03-01", "I.CHEM.CREATORRES": "50",
                                         "I.CHEM.CREATU": "umol/L"},
                                  {"I.DM.SEX": "F", "I.DM.BRTHDAT": "2010-01-01"}, now)["I.CHEM.EGFR"]
    assert child.value is None and child.missing == ("I.HTWT.HEIGHT",)
    done = calculators.calculate(chem, {"I.CHEM.DTC": "2026-03-01", "I.CHEM.CREAT": "70"},
                                 {"I.DM.SEX": "F", "I.DM.BRTHDAT": "1990-01-01"}, now)["I.CHEM.EGFR"]
    assert done.value is not None and not done.blocked


def test_inclusion_thresholds_are_read_from_the_protocol():
    """IN4 follows protocol.sledai_min: the same SLEDAI-2K of 6 fails at the protocol's 8 and passes at 6."""
    from ecrf.study import protocol

    screening = {"I.SLEDAI.TOTAL": "6", "I.SLEDAI.DAT": "2026-03-01"}
    try:
        assert evaluate(screening, [])["IN4"].status == "not_met"
        protocol.configure(sledai_min=6)
        assert evaluate(screening, [])["IN4"].status == "met"
    finally:
        protocol.configure()
    assert protocol.active() == protocol.PROTOCOL


def test_configuration_overrides_only_the_named_protocol_parameters():
    from ecrf.study import protocol

    try:
        active = protocol.configure({"ENROLMENT_CAP": "12", "DOSE_TOLERANCE_PERCENT": 10, "SECRET_KEY": "x"})
        assert (active.enrolment_cap, active.infused_dose_tolerance) == (12, 0.10)
        assert active.sentinel_days == protocol.PROTOCOL.sentinel_days == 14
        with pytest.raises(TypeError):
            protocol.configure(enrolment_capp=3)
    finally:
        protocol.configure()
