"""Calculated values stay true: a corrected source recomputes every stored value derived from it, audited."""
from __future__ import annotations

import json

from helpers import demographics, new_subject, save
from sqlalchemy import select

from ecrf.study.words import render

CHEM = {"I.CHEM.DTC": "2026-11-02", "I.CHEM.CREATORRES": "50", "I.CHEM.CREATU": "umol/L", "I.CHEM.ALT": "20",
        "I.CHEM.ALTULN": "40", "I.CHEM.AST": "20", "I.CHEM.ASTULN": "40", "I.CHEM.BILI": "8", "I.CHEM.BILIULN": "21",
        "I.CHEM.CLSIG": "false"}


def _value(session, subject, event_oid, item_oid):
    from ecrf.capture.facts import event_values

    session.expire_all()
    return event_values(session, subject.id, [event_oid])[event_oid].get(item_oid)


def _records(session, item_oid):
    from ecrf.audit.models import AuditEvent

    return session.scalars(select(AuditEvent).where(AuditEvent.item_oid == item_oid).order_by(AuditEvent.seq)).all()


def test_a_corrected_height_recomputes_the_stored_egfr_with_its_own_reason(session, world):
    subject = new_subject(session)
    demographics(session, subject, "F", "2016-03-01")  # a child: bedside Schwartz reads the height
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "140", "I.HTWT.WEIGHT": "35"})
    save(session, subject, "F.CHEM", CHEM)
    assert _value(session, subject, "SE.SCREENING", "I.CHEM.EGFR") == "102.2"  # 0.413 x 140 / (50 / 88.4)

    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "150", "I.HTWT.WEIGHT": "35"},
         reason_code="TRANSCRIPTION")

    assert _value(session, subject, "SE.SCREENING", "I.CHEM.EGFR") == "109.5"  # 0.413 x 150 / (50 / 88.4)
    last = _records(session, "I.CHEM.EGFR")[-1]
    assert (last.old_value, last.new_value) == ("102.2", "109.5")
    assert json.loads(last.reason) == {"code": "RECALCULATED", "sources": ["I.HTWT.HEIGHT"]}
    height = _records(session, "I.HTWT.HEIGHT")[-1]
    assert height.seq < last.seq and height.reason == '{"code":"TRANSCRIPTION"}'  # same transaction, the user's reason
    assert (render(height.reason), render(last.reason)) == (
        "Transcription error", "Recalculated after a change to I.HTWT.HEIGHT")


def test_a_corrected_date_of_birth_recomputes_the_egfr_equation(session, world):
    subject = new_subject(session)
    demographics(session, subject, "F", "2016-03-01")
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "140", "I.HTWT.WEIGHT": "35"})
    save(session, subject, "F.CHEM", CHEM)
    save(session, subject, "F.DM", {"I.DM.BRTHDAT": "1990-03-01", "I.DM.SEX": "F"}, event_oid="SE.SUBJECT",
         reason_code="TRANSCRIPTION")  # an adult: CKD-EPI
    from ecrf.capture.models import ItemData

    row = session.scalar(select(ItemData).where(ItemData.item_oid == "I.CHEM.EGFR"))
    assert row.value != "102.2" and "CKD-EPI" in row.formula
    assert json.loads(_records(session, "I.CHEM.EGFR")[-1].reason)["sources"] == ["I.DM.BRTHDAT"]


def test_unrelated_corrections_write_nothing_derived(session, world):
    subject = new_subject(session)
    demographics(session, subject, "F", "2016-03-01")
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "140", "I.HTWT.WEIGHT": "35"})
    save(session, subject, "F.CHEM", CHEM)
    before = len(_records(session, "I.CHEM.EGFR"))
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "140", "I.HTWT.WEIGHT": "36"},
         reason_code="TRANSCRIPTION")  # weight is not an input of the eGFR
    assert len(_records(session, "I.CHEM.EGFR")) == before


def test_the_form_says_why_a_calculated_value_is_empty(app, world, as_role):
    """eGFR of a 10-year-old needs the height (bedside Schwartz): without it the form says so at the field."""
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject, "F", "2016-03-01")
        save(db.session, subject, "F.CHEM", CHEM)
        key = subject.key
    browser = as_role("coordinator")
    page = browser.get(f"/subjects/{key}/events/SE.SCREENING/forms/F.CHEM").get_data(as_text=True)
    assert 'data-testid="uncalculated-I.CHEM.EGFR"' in page
    assert "Cannot calculate yet: Height (I.HTWT.HEIGHT) missing" in page
    with app.app_context():
        subject = db.session.merge(subject)
        save(db.session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "140",
                                             "I.HTWT.WEIGHT": "35"})
    page = browser.get(f"/subjects/{key}/events/SE.SCREENING/forms/F.CHEM").get_data(as_text=True)
    assert 'data-testid="uncalculated-I.CHEM.EGFR"' not in page and "102.2" in page
