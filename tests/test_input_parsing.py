"""Numbers and dates of URLs, query strings and form fields: one spelling, bounded; each example of the issue.

Each of these answered a 500, or took a loose spelling as a number or date, before ecrf.study.literals.
"""
from __future__ import annotations

import json
from datetime import date

import pytest
from helpers import ctx, new_subject

from ecrf.study import literals
from ecrf.study.definition import load as load_study
from ecrf.study.literals import BadLiteral
from ecrf.study.validation import InvalidValue, clean

API = "/api/v1"
HUGE = "99999999999999999999"  # past 64 bits
PAST_INT32 = "3000000000"  # fits SQLite's 64-bit integers, not PostgreSQL's integer column
FULL_WIDTH = "\uff12"  # "２"


@pytest.fixture
def key(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        out = new_subject(db.session).key
        db.session.remove()
    return out


def _token(app, username: str) -> str:
    from sqlalchemy import select

    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        raw = issue(db.session, db.session.scalar(select(User).filter_by(username=username)))[1]
        db.session.commit()
        db.session.remove()
    return raw


def _message(response) -> str:
    return response.get_data(as_text=True)


# the rules themselves

@pytest.mark.parametrize("text", ["1_0_0", "+5", "\uff11\uff12", "\u0661", " 5", "5 ", "1e3", "", "-", "0x10",
                                  "9" * 41])
def test_loose_integer_spellings_are_refused(text):
    with pytest.raises(BadLiteral, match="whole number"):
        literals.integer(text, 0, 10**50, "n")


def test_integers_are_bounded_to_the_column():
    assert literals.integer("2147483647", 1, literals.INT32_MAX, "id") == 2**31 - 1
    with pytest.raises(BadLiteral, match="between 1 and 2147483647"):
        literals.integer(PAST_INT32, 1, literals.INT32_MAX, "id")


@pytest.mark.parametrize("text", ["2026-W01-1", "2026-001", "20260101", "2026-1-01", "\uff12\uff10\uff12\uff16-01-01",
                                  "2026-01-01T00:00", "2026-02-30"])
def test_loose_date_spellings_are_refused(text):
    with pytest.raises(BadLiteral, match="YYYY-MM-DD"):
        literals.day(text, "d")


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "0202-11-25"])
def test_implausible_years_are_refused(text):
    with pytest.raises(BadLiteral, match="between 1900 and 2100"):
        literals.day(text, "d")


def test_a_plain_date_is_read():
    assert literals.day("2026-12-02", "d") == date(2026, 12, 2)


@pytest.mark.parametrize(("oid", "text"), [("I.VS.HR", "1_0_0"), ("I.VS.HR", "+72"), ("I.VS.HR", "\uff17\uff12"),
                                           ("I.VS.TEMP", "3_6.8"), ("I.VS.TEMP", "3.68e1"), ("I.VS.TEMP", "+36.8"),
                                           ("I.VS.TEMP", "\uff13\uff16.8"), ("I.VS.TEMP", "1e999999999")])
def test_crf_numbers_have_one_spelling(oid, text):
    with pytest.raises(InvalidValue, match="Enter a"):
        clean(load_study().items[oid], text, ctx())


def test_crf_numbers_still_take_plain_spellings():
    items = load_study().items
    assert clean(items["I.VS.HR"], "72", ctx()) == "72"
    assert clean(items["I.VS.TEMP"], "36,8", ctx()) == "36.8"


# the examples of the issue, through the app

@pytest.mark.parametrize("segment", [HUGE, PAST_INT32, FULL_WIDTH])
def test_an_id_in_the_url_is_ascii_digits_within_32_bits(as_role, segment):
    response = as_role("admin").get(f"/admin/users/{segment}")
    assert response.status_code == 404
    assert "no such page" in _message(response)


def test_ids_in_range_still_route(as_role):
    assert as_role("admin").get("/admin/users/1").status_code == 200


@pytest.mark.parametrize("query", [f"before={HUGE}", "to=9999-12-31", "from=0001-01-01", f"before={FULL_WIDTH}",
                                   "to=2026-W01-1"])
def test_audit_page_arguments_are_refused_with_a_message(as_role, key, query):
    response = as_role("monitor").get(f"/subjects/{key}/audit?{query}")
    assert response.status_code == 400
    assert "must be" in _message(response)


def test_the_audit_filters_still_work(as_role, key):
    response = as_role("monitor").get(f"/subjects/{key}/audit?from=2026-01-01&to=2099-12-31&before=&user=")
    assert response.status_code == 200


@pytest.mark.parametrize(("query", "status"), [(f"event_repeat={HUGE}", 404), (f"event_repeat={PAST_INT32}", 404),
                                               (f"event_repeat={FULL_WIDTH}", 400), ("repeat=1_0", 400)])
def test_repeat_numbers_in_the_query(as_role, key, query, status):
    response = as_role("coordinator").get(f"/subjects/{key}/events/SE.UNSCHED/forms/F.VS?{query}")
    assert response.status_code == status
    assert 'role="alert"' in _message(response)


def test_the_calendar_horizon_is_ascii_digits(as_role):
    browser = as_role("coordinator")
    assert browser.get(f"/calendar?days={FULL_WIDTH}").status_code == 400
    assert browser.get("/calendar?days=60").status_code == 200


def test_a_repeat_number_in_a_form_field(as_role, key, app):
    from sqlalchemy import func, select

    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    browser = as_role("coordinator")
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(AuditEvent))
    response = browser.post(f"/subjects/{key}/events/SE.UNSCHED/not-done",
                                           {"event_repeat": HUGE, "reason": "not needed"})
    assert response.status_code == 404
    assert 'role="alert"' in _message(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == before


@pytest.mark.parametrize("when", ["2026-W01-1", "0001-01-01", "9999-12-31"])
def test_form_dates_have_one_spelling_and_a_plausible_year(as_role, app, when):
    from sqlalchemy import select

    from ecrf.consent.models import IcfVersion
    from ecrf.infra.extensions import db

    response = as_role("data_manager").post("/icf-versions", {"version": "9.9", "population": "ADULT",
                                                               "approved_on": when}, follow_redirects=True)
    assert response.status_code < 500
    assert "approved_on must be a date" in _message(response)
    with app.app_context():
        assert db.session.scalar(select(IcfVersion).filter_by(version="9.9")) is None


def test_a_newline_in_next_goes_home(app, world):
    from helpers import PASSWORD, Browser

    browser = Browser(app.test_client())
    page = browser.client.get("/login")
    token = browser._token_from(page.get_data(as_text=True))  # noqa: SLF001
    response = browser.client.post("/login?next=/x%0ASet-Cookie:%20a=b",
                                   data={"username": "coordinator", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_lone_surrogate_in_an_api_text_value(app, key):
    raw = json.dumps({"version": 0, "items": {"I.AE.TERM": "\ud800"}})
    response = app.test_client().put(f"{API}/subjects/{key}/events/SE.SUBJECT/forms/F.AE", data=raw,
                                     content_type="application/json",
                                     headers={"Authorization": f"Bearer {_token(app, 'coordinator')}"})
    assert response.status_code == 422
    assert response.json["error"]


@pytest.mark.parametrize("query", [f"before={HUGE}", f"before={FULL_WIDTH}", "limit=+5", "before=1_0"])
def test_api_query_numbers(app, key, query):
    response = app.test_client().get(f"{API}/subjects/{key}/audit?{query}",
                                     headers={"Authorization": f"Bearer {_token(app, 'monitor')}"})
    assert response.status_code == 400
    assert "query argument" in response.json["error"]
