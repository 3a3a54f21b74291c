"""The eligibility page guides (item 7 of issue 13): the missing data by form (linked) and label, the
acknowledgement needed to confirm eligible over them (stored and audited), and the Eligibility form's own answer
checked against the engine's verdict in both directions. Through the Flask client, as an investigator."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest
from helpers import PASSWORD, demographics, new_subject, save, statements
from sqlalchemy import select
from subjects.test_eligibility_engine import adult_woman

from ecrf.study.definition import load

REASON = "TRANSCRIPTION"
ANSWER = {"I.ELIG.CONFDAT": "2026-11-03"}
TIMES = {"I.CHEM.DTC": "2026-11-02T16:00", "I.PREG.DTC": "2026-11-02T16:00"}  # the engine's UTC, typed locally
TYPED = {"I.CHEM.CREAT": {"I.CHEM.CREATORRES": "70", "I.CHEM.CREATU": "umol/L"}}  # calculated from what is typed


def _flash(browser, response) -> str:
    return browser.get(response.headers["Location"]).get_data(as_text=True)


def _save_all(session, subject, values: dict) -> None:
    """Every value of ``values`` on its form (F.DM at the subject level, the rest at screening)."""
    from ecrf.labs.demo_ranges import seed_demo_ranges

    seed_demo_ranges(session, subject.site)  # IN7's ULNs are the upper limits of the laboratory's ranges
    study = load()
    by_form: dict[str, dict] = {}
    for oid, value in values.items():
        by_form.setdefault(study.form_of(oid), {}).update(TYPED.get(oid, {oid: TIMES.get(oid, value)}))
    for form_oid, form_values in by_form.items():
        event = "SE.SCREENING" if study.event_has_form("SE.SCREENING", form_oid) else "SE.SUBJECT"
        save(session, subject, form_oid, form_values, event_oid=event)


def _elig(answer: str) -> dict:
    """The whole Eligibility form (a save replaces the form's values) with the investigator's ``answer``."""
    return {**{k: v for k, v in adult_woman().items() if k.startswith("I.ELIG.")}, **ANSWER, "I.ELIG.ELIGIBLE": answer}


def _everything(browser, url) -> list[str]:
    return re.findall(r'name="override" value="([A-Z0-9]+)"', browser.get(url).get_data(as_text=True))


def _reviews(app):
    from ecrf.enrolment.models import EligibilityReview
    from ecrf.infra.extensions import db

    with app.app_context():
        return [(r.eligible, r.missing_acknowledged) for r in db.session.scalars(select(EligibilityReview))]


def test_missing_data_are_listed_by_form_linked_with_their_labels(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject)
        key = subject.key
    page = as_role("investigator").get(f"/subjects/{key}/eligibility").get_data(as_text=True)
    block = page.split('data-testid="missing-data"')[1].split("</ul>")[0]
    cardio = block.split('data-testid="missing-form-F.CARDIO"')[1].split("</li>")[0]
    assert f'href="/subjects/{key}/events/SE.SCREENING/forms/F.CARDIO"' in cardio
    assert "Cardiac assessment" in cardio or load().form("F.CARDIO").label in cardio
    assert load().items["I.CARDIO.LVEF"].label in cardio and "(IN5)" in cardio
    elig = block.split('data-testid="missing-form-F.ELIG"')[1].split("</li>")[0]
    assert "Participant is eligible" in elig
    # labels, not OIDs, in the text a reader sees (the OID stays as a tooltip)
    text = re.sub(r"<[^>]+>", " ", page)
    assert "I.CARDIO.LVEF" not in text and "I.VS.SPO2" not in text
    criteria = page.split('data-testid="criterion-IN8"')[1].split("</tr>")[0]
    assert "missing:" in criteria and load().items["I.VS.SPO2"].label in criteria


def test_the_page_costs_the_same_whatever_is_missing(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        empty, full = new_subject(db.session), new_subject(db.session)
        _save_all(db.session, full, {k: v for k, v in adult_woman().items() if not k.startswith("I.DM.")})
        keys = empty.key, full.key
    browser = as_role("investigator")
    counts = []
    for key in keys:
        with app.app_context(), statements(db.session) as seen:
            assert browser.get(f"/subjects/{key}/eligibility").status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1]


def test_confirming_eligible_over_missing_data_needs_the_acknowledgement_which_is_stored_and_audited(
        app, world, as_role):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject)
        key = subject.key
    browser, url = as_role("investigator"), f"/subjects/{key}/eligibility"
    page = browser.get(url).get_data(as_text=True)
    assert "I confirm eligibility although the following data are missing:" in page
    ack = page.split('data-testid="acknowledge-missing"')[1].split("</label>")[0]
    assert load().items["I.CARDIO.LVEF"].label in ack and "I.CARDIO.LVEF" not in ack
    codes = _everything(browser, url)
    refused = _flash(browser, browser.post(url, {"password": PASSWORD, "override": codes, "reason": "on paper"}))
    assert "Data are missing:" in refused and "Participant is eligible" in refused
    assert _reviews(app) == []
    done = _flash(browser, browser.post(url, {"password": PASSWORD, "override": codes, "reason": "on paper",
                                              "despite_missing": "yes"}))
    assert "Eligibility confirmed: eligible." in done
    [(eligible, stored)] = _reviews(app)
    assert eligible and {"I.CARDIO.LVEF", "I.VS.SPO2", "I.ELIG.ELIGIBLE"} <= set(json.loads(stored))
    with app.app_context():
        row = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "eligibility_review",
                                                         AuditEvent.action == "create"))
        assert "I.CARDIO.LVEF" in json.loads(row.new_value)["missing_acknowledged"]
    shown = done.split('data-testid="acknowledged-missing"')[1].split("</p>")[0]
    assert load().items["I.CARDIO.LVEF"].label in shown


def test_recording_not_eligible_needs_no_acknowledgement(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    browser, url = as_role("investigator"), f"/subjects/{key}/eligibility"
    assert "Recorded: not eligible." in _flash(browser, browser.post(url, {"password": PASSWORD}))
    assert _reviews(app) == [(False, None)]


def test_form_says_eligible_engine_says_not(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        _save_all(db.session, subject, {**adult_woman(), "I.CARDIO.LVEF": "50", **ANSWER, "I.ELIG.ELIGIBLE": "true"})
        key = subject.key
    browser, url = as_role("investigator"), f"/subjects/{key}/eligibility"
    page = browser.get(url).get_data(as_text=True)
    flag = page.split('data-testid="verdict-conflict"')[1].split("</div>")[0]
    assert "says the participant is eligible" in flag and "IN5 not met" in flag
    assert 'data-testid="missing-data"' not in page  # nothing is missing: only the disagreement
    # signing "not eligible" over a form saying eligible is refused ...
    refused = _flash(browser, browser.post(url, {"password": PASSWORD}))
    assert "The Eligibility form says the participant is eligible" in refused and _reviews(app) == []
    # ... an override with its reason makes the signed verdict agree with the form (the snapshot keeps IN5)
    assert _everything(browser, url) == ["IN5"]
    done = _flash(browser, browser.post(url, {"password": PASSWORD, "override": ["IN5"], "reason": "LVEF re-read"}))
    assert "Eligibility confirmed: eligible." in done and _reviews(app) == [(True, None)]


def test_form_says_not_eligible_engine_says_eligible(app, world, as_role):
    from ecrf.enrolment import services
    from ecrf.errors import Refused
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        _save_all(db.session, subject, {**adult_woman(), **ANSWER, "I.ELIG.ELIGIBLE": "false"})
        key = subject.key
        assert services.eligibility(db.session, subject).all_met
    browser, url = as_role("investigator"), f"/subjects/{key}/eligibility"
    page = browser.get(url).get_data(as_text=True)
    flag = page.split('data-testid="verdict-conflict"')[1].split("</div>")[0]
    assert "says the participant is not eligible, but every criterion is met" in flag
    refused = _flash(browser, browser.post(url, {"password": PASSWORD}))
    assert "correct the form before confirming" in refused and _reviews(app) == []
    # corrected, then signed; changed back afterwards, the enrolment is refused until confirmed again
    with app.app_context():
        subject = db.session.merge(subject)
        save(db.session, subject, "F.ELIG", _elig("true"), reason_code=REASON)
    assert "verdict-conflict" not in browser.get(url).get_data(as_text=True)
    assert "Eligibility confirmed: eligible." in _flash(browser, browser.post(url, {"password": PASSWORD}))
    with app.app_context():
        subject = db.session.merge(subject)
        save(db.session, subject, "F.ELIG", _elig("false"), reason_code=REASON)
        with pytest.raises(Refused, match="against the signed confirmation"):
            services.enrol(db.session, subject, date(2026, 11, 5))
