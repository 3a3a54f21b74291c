"""Complete means complete: every required item has a value or an explicit "not done"/"unknown" with a reason
(where the item allows it); the form page lists what is missing with a link to each field; the API reads and
writes the answers."""
from __future__ import annotations

import pytest
from helpers import VS_URL, new_subject, save, vs_values
from sqlalchemy import select

from ecrf.errors import Invalid

ND = {"I.VS.SPO2": {"code": "NOT_DONE", "reason": "oximeter out of order"}}


def _rows(session, oid):
    from ecrf.capture.models import ItemData

    session.expire_all()
    return session.scalars(select(ItemData).where(ItemData.item_oid == oid)).all()


def test_a_required_item_without_a_value_leaves_the_form_incomplete(session, world):
    from ecrf.capture.checks import missing_items

    subject = new_subject(session)
    form = save(session, subject, "F.VS", vs_values(**{"I.VS.SPO2": "", "I.VS.HR": ""}))
    assert form.status == "incomplete" and form.completed_at is None
    assert [i.oid for i in missing_items(form_definition("F.VS"), form)] == ["I.VS.HR", "I.VS.SPO2"]


def form_definition(oid):
    from ecrf.study.definition import load

    return load().form(oid)


def test_not_done_with_a_reason_completes_the_form_and_is_stored_and_audited(session, world):
    from ecrf.audit.models import AuditEvent

    subject = new_subject(session)
    form = save(session, subject, "F.VS", vs_values(**{"I.VS.SPO2": ""}), missing=ND)
    assert form.status == "complete"
    assert form.flags == {"I.VS.SPO2": ("NOT_DONE", "oximeter out of order")}
    [row] = _rows(session, "I.VS.SPO2")
    assert (row.value, row.missing_code, row.missing_reason) == (None, "NOT_DONE", "oximeter out of order")
    # later measured: the value replaces the flag, audited with a reason for change
    save(session, subject, "F.VS", vs_values(**{"I.VS.SPO2": "97"}), reason_code="TRANSCRIPTION")
    [row] = _rows(session, "I.VS.SPO2")
    assert (row.value, row.missing_code, row.missing_reason) == ("97", None, None)
    trail = session.scalars(select(AuditEvent).where(AuditEvent.item_oid == "I.VS.SPO2")
                            .order_by(AuditEvent.seq)).all()
    assert [(r.old_value, r.new_value) for r in trail] == [(None, "[NOT_DONE] oximeter out of order"),
                                                           ("[NOT_DONE] oximeter out of order", "97")]


def test_the_trail_still_reconciles_with_not_done_answers(app, session, world):
    from ecrf.audit import chain

    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values(**{"I.VS.SPO2": ""}), missing=ND)
    session.commit()
    report = chain.verify(session.connection())
    assert report.mismatches == [], report


@pytest.mark.parametrize("missing, value, message", [
    ({"code": "NOT_DONE", "reason": ""}, "", 'Give the reason for "Not done".'),
    ({"code": "NOT_DONE", "reason": "   "}, "", 'Give the reason for "Not done".'),
    ({"code": "NOT_DONE", "reason": "broken"}, "97", 'Give either a value or "Not done", not both.'),
    ({"code": "UNKNOWN", "reason": "?"}, "", "cannot be answered"),
])
def test_a_flag_refused_stores_nothing(session, world, missing, value, message):
    subject = new_subject(session)
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.VS", vs_values(**{"I.VS.SPO2": value}), missing={"I.VS.SPO2": missing})
    session.rollback()
    assert message in refused.value.errors["I.VS.SPO2"]
    assert _rows(session, "I.VS.SPO2") == []


def test_an_item_that_allows_no_flag_refuses_it(session, world):
    subject = new_subject(session)
    with pytest.raises(Invalid) as refused:
        save(session, subject, "F.VS", vs_values(**{"I.VS.DTC": ""}),
             missing={"I.VS.DTC": {"code": "NOT_DONE", "reason": "forgot"}})
    assert "enter a value" in refused.value.errors["I.VS.DTC"]


def test_the_database_refuses_a_value_with_a_flag_and_a_flag_without_reason(session, world):
    from sqlalchemy.exc import IntegrityError

    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    [row] = _rows(session, "I.VS.SPO2")
    row.missing_code, row.missing_reason = "NOT_DONE", "x"  # with the value 98 still there
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_required_if_item_keeps_the_form_incomplete(session, world):
    subject = new_subject(session)
    gcis = {"I.GCIS.DAT": "2026-11-02", "I.GCIS.GCYN": "true", "I.GCIS.ISYN": "false"}
    form = save(session, subject, "F.GCIS", gcis, event_oid="SE.M2")
    assert form.status == "incomplete"
    form = save(session, subject, "F.GCIS", {**gcis, "I.GCIS.GCDRUG": "prednisone", "I.GCIS.GCDOSE": "10"},
                event_oid="SE.M2")
    assert form.status == "complete" and form.values["I.GCIS.GCPREDEQ"] == "10"


def test_the_form_page_lists_missing_items_with_links_and_takes_not_done(app, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    browser = as_role("coordinator")
    url = VS_URL.format(key=key)
    assert browser.post(url, {**vs_values(**{"I.VS.SPO2": "", "I.VS.HR": ""}), "version": "0"}).status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert 'data-testid="missing-items"' in page
    assert 'href="#item-I.VS.HR"' in page and 'href="#item-I.VS.SPO2"' in page and 'id="item-I.VS.SPO2"' in page
    assert 'name="I.VS.SPO2:missing"' in page
    done = browser.post(url, {**vs_values(**{"I.VS.SPO2": ""}), "I.VS.SPO2:missing": "NOT_DONE",
                              "I.VS.SPO2:reason": "oximeter out of order", "version": "1"})
    assert done.status_code == 302
    page = browser.get(url).get_data(as_text=True)
    assert 'data-testid="missing-items"' not in page and 'data-testid="form-status">complete' in page
    assert 'value="oximeter out of order"' in page
    refused = browser.post(url, {**vs_values(), "I.VS.SPO2:missing": "NOT_DONE", "I.VS.SPO2:reason": "x",
                                 "version": "2", "reason_code": "TRANSCRIPTION"})
    assert refused.status_code == 422 and "not both" in refused.get_data(as_text=True)
