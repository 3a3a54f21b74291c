"""Fast entry (issue 13, item 3), server side: "Save and next form" in the schedule's order, every problem of a
save at its field at once, a form that cannot be entered yet saying so when opened, and the page's keyboard and
unsaved-changes hooks. The browser side is tests/e2e/test_entry_browser.py."""
from __future__ import annotations

import re

import pytest
from cell_therapy import infusion_values, ready_for_infusion
from helpers import demographics, enrolled_subject, new_subject, vs_values

SCREENING = "/subjects/{key}/events/SE.SCREENING/forms/{form}"


def _screening_forms(**applies):
    from ecrf.study.definition import load

    event = load().event("SE.SCREENING")
    return [r.form_oid for r in event.forms if r.required or applies.get(r.form_oid)]


# -- the order of a visit ---------------------------------------------------------------------------------------

def test_a_man_goes_through_the_required_screening_forms_in_the_schedules_order(session, world):
    from ecrf.casebook import entry_order
    from ecrf.study.definition import load

    subject = new_subject(session)
    demographics(session, subject, sex="M")
    forms = entry_order.entry_forms(session, subject, load().event("SE.SCREENING"))
    assert forms == _screening_forms()
    assert "F.PREG" not in forms and "F.CONTRA" not in forms


def test_a_woman_of_childbearing_potential_also_gets_her_pregnancy_test_and_contraception(session, world):
    from ecrf.casebook import entry_order
    from ecrf.study.definition import load

    subject = new_subject(session)
    demographics(session, subject, sex="F", **{"I.DM.MENARCHE": "true"})
    forms = entry_order.entry_forms(session, subject, load().event("SE.SCREENING"))
    assert forms == _screening_forms(**{"F.PREG": True, "F.CONTRA": True})


def test_while_childbearing_potential_is_unknown_the_pregnancy_forms_are_offered(session, world):
    from ecrf.casebook import entry_order
    from ecrf.study.definition import load

    subject = new_subject(session)
    assert "F.PREG" in entry_order.entry_forms(session, subject, load().event("SE.SCREENING"))


def test_the_order_follows_the_schedule_not_a_list_of_its_own(session, world, monkeypatch):
    """A form another change adds to the visit (a visit-date form, say) is in the order where the schedule has it."""
    from dataclasses import replace

    from ecrf.casebook import entry_order
    from ecrf.study.definition import load
    from ecrf.study.types import FormRef

    subject = new_subject(session)
    demographics(session, subject, sex="M")
    event = load().event("SE.SCREENING")
    reordered = replace(event, forms=(FormRef("F.VS"), FormRef("F.SLEHX"), *event.forms[2:]))
    assert entry_order.entry_forms(session, subject, reordered)[:2] == ["F.VS", "F.SLEHX"]


def test_next_form_skips_a_form_that_cannot_be_entered(session, world):
    """At the subject-level event the enrolment form (filled by the Enrol action) is passed over."""
    from ecrf.capture import services
    from ecrf.casebook import entry_order

    subject = new_subject(session)
    following = entry_order.next_form(session, services.resolve(subject, "SE.SUBJECT", "F.DM"))
    assert following is None  # F.ENROL is refused by its gate; the rest of the event is optional logs
    following = entry_order.next_form(session, services.resolve(subject, "SE.SUBJECT", "F.IC"))
    assert following.form.oid == "F.DM"


# -- save and next on the web -----------------------------------------------------------------------------------

def test_save_and_next_opens_the_next_form_of_the_visit(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject, sex="M")
        key = subject.key
        forms = _screening_forms()
    b = as_role("coordinator")
    at = forms.index("F.VS")
    response = b.post(SCREENING.format(key=key, form="F.VS"), {**vs_values(), "version": "0", "then": "next"})
    assert response.status_code == 302
    assert response.headers["Location"].split("?")[0].endswith(SCREENING.format(key=key, form=forms[at + 1]))
    page = b.get(SCREENING.format(key=key, form="F.VS")).get_data(as_text=True)
    assert "Vital signs saved" in page or "saved (" in page


def test_plain_save_stays_on_the_form(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    response = as_role("coordinator").post(SCREENING.format(key=key, form="F.VS"), {**vs_values(), "version": "0"})
    assert response.status_code == 302 and response.headers["Location"].split("?")[0].endswith("/forms/F.VS")


def test_save_and_next_on_the_last_form_returns_to_the_casebook_with_a_message(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject, sex="M")
        key = subject.key
        last = _screening_forms()[-1]
    b = as_role("coordinator")
    response = b.post(SCREENING.format(key=key, form=last), {"version": "0", "then": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/subjects/{key}")
    assert "That was the last form of Screening to enter." in b.get(f"/subjects/{key}").get_data(as_text=True)


def test_a_refused_save_and_next_stays_on_the_form(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    response = as_role("coordinator").post(SCREENING.format(key=key, form="F.VS"),
                                           {**vs_values(**{"I.VS.HR": "many"}), "version": "0", "then": "next"})
    assert response.status_code == 422
    assert 'data-unsaved="true"' in response.get_data(as_text=True)  # the typed values are not stored: warn


def test_the_form_page_offers_save_and_next_the_keyboard_and_the_unsaved_warning(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject, sex="M")
        key = subject.key
    html = as_role("coordinator").get(SCREENING.format(key=key, form="F.SLEHX")).get_data(as_text=True)
    assert re.search(r'<button[^>]*name="then" value="next"[^>]*accesskey="n"', html)
    assert 'data-testid="save"' in html and 'data-testid="keyboard-help"' in html and "Ctrl</kbd>+<kbd>Enter" in html
    assert "js/entry.js" in html and 'data-editable="true"' in html and "data-unsaved" not in html
    assert 'data-testid="skip-next"' in html  # the next form without saving
    assert "<script>" not in html  # the CSP allows scripts from files only


# -- every problem at once, at its field ------------------------------------------------------------------------

BAD_INFUSION = {  # the item-level trial rules it breaks
    "I.INF.STDTC": "an infusion on the day of the last lymphodepletion dose",
    "I.INF.DOSELEVEL": "a dose level that is not the subject's",
    "I.INF.DOSEKG": "a dose far from that level's",
    "I.INF.LOT": "a lot that is not the released one",
}


def _bad_infusion(**extra):
    from cell_therapy import day
    values = infusion_values(on=-1, **{"I.INF.DOSELEVEL": "2", "I.INF.LOT": "LOT-999",
                                       "I.INF.STDTC": f"{day(-4)}T10:00", "I.INF.ENDTC": f"{day(-4)}T10:20"})
    values.update(extra)
    return values


@pytest.fixture
def ready(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = enrolled_subject(db.session)
        ready_for_infusion(db.session, subject, ld1=-6)  # doses on days -6, -5, -4
        key = subject.key
    return key


def test_the_service_raises_every_trial_rule_problem_of_a_save_each_naming_its_item(session, ready):
    from helpers import ctx
    from sqlalchemy import select

    from ecrf.capture import services
    from ecrf.errors import Refused
    from ecrf.subjects.models import Subject

    subject = session.scalar(select(Subject).where(Subject.key == ready))
    t = services.resolve(subject, "SE.D0", "F.INF")
    with pytest.raises(Refused) as refused:
        services.save_form(session, t, _bad_infusion(), version=0, user_id=None, ctx=ctx())
    assert {p.item for p in refused.value.problems} >= set(BAD_INFUSION)
    assert refused.value.status == 409  # trial rules keep their status


def test_unreadable_values_and_trial_rules_come_in_one_answer(session, ready):
    from helpers import ctx
    from sqlalchemy import select

    from ecrf.capture import services
    from ecrf.errors import Invalid
    from ecrf.subjects.models import Subject

    subject = session.scalar(select(Subject).where(Subject.key == ready))
    t = services.resolve(subject, "SE.D0", "F.INF")
    with pytest.raises(Invalid) as invalid:
        services.save_form(session, t, _bad_infusion(**{"I.INF.WEIGHTDAT": "yesterday", "I.INF.ENDTC":
                                                         _bad_infusion()["I.INF.STDTC"][:11] + "09:00"}),
                           version=0, user_id=None, ctx=ctx())
    # unreadable, a hard edit check (the end before the start) and the trial rules, all in one answer
    assert set(invalid.value.errors) >= {"I.INF.WEIGHTDAT", "I.INF.ENDTC", "I.INF.STDTC", "I.INF.DOSELEVEL",
                                         "I.INF.LOT"}
    assert "The infusion end is before its start." in invalid.value.errors["I.INF.ENDTC"]


def test_a_bad_infusion_shows_every_problem_at_its_field_and_in_a_linked_summary(app, ready, as_role):
    response = as_role("coordinator").post(f"/subjects/{ready}/events/SE.D0/forms/F.INF",
                                           {**_bad_infusion(), "version": "0"})
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    for oid in BAD_INFUSION:
        assert f'data-testid="error-{oid}"' in html, oid
        assert f'href="#item-{oid}" data-testid="problem-{oid}"' in html, oid
    assert html.count('data-testid="problem"') >= len(BAD_INFUSION)


def test_a_soft_check_shows_at_its_field_and_in_the_summary(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    b = as_role("coordinator")
    b.post(SCREENING.format(key=key, form="F.VS"), {**vs_values(**{"I.VS.TEMP": "34.2"}), "version": "0"})
    html = b.get(SCREENING.format(key=key, form="F.VS")).get_data(as_text=True)  # stored, with a query
    assert 'href="#item-I.VS.TEMP" data-testid="warning-link-I.VS.TEMP"' in html
    assert 'data-testid="warning-I.VS.TEMP"' in html


# -- a form that cannot be entered yet --------------------------------------------------------------------------

def test_a_form_before_consent_says_so_when_opened_with_a_link_and_disabled_inputs(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session, consented=False).key
    html = as_role("coordinator").get(SCREENING.format(key=key, form="F.VS")).get_data(as_text=True)
    assert 'data-testid="blocked"' in html and "before informed consent is recorded" in html
    link = re.search(r'<a href="([^"]+)" data-testid="blocked-first"', html).group(1)
    assert link.endswith(f"/subjects/{key}/events/SE.SUBJECT/forms/F.IC?event_repeat=1&amp;repeat=1")
    assert re.search(r'<input[^>]*disabled[^>]*id="I.VS.HR"|<input[^>]*id="I.VS.HR"[^>]*disabled', html)
    assert 'data-testid="save"' not in html and 'data-editable="false"' in html


def test_the_consent_form_itself_opens_for_entry(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session, consented=False).key
    html = as_role("coordinator").get(f"/subjects/{key}/events/SE.SUBJECT/forms/F.IC").get_data(as_text=True)
    assert 'data-testid="blocked"' not in html and 'data-testid="save"' in html


def test_the_infusion_before_lymphodepletion_says_so_with_a_link_to_the_dose_form(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = enrolled_subject(db.session).key
    b = as_role("coordinator")
    html = b.get(f"/subjects/{key}/events/SE.D0/forms/F.INF").get_data(as_text=True)
    assert "Record lymphodepletion before the CAR-T infusion." in html
    assert re.search(r'href="[^"]*/events/SE.LD1/forms/F.LDDOSE[^"]*" data-testid="blocked-first"', html)
    # the save refuses with the same rule (one home)
    assert b.post(f"/subjects/{key}/events/SE.D0/forms/F.INF", {**infusion_values(), "version": "0"}).status_code \
        == 409


def test_lymphodepletion_before_enrolment_links_to_the_eligibility_page(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    html = as_role("coordinator").get(f"/subjects/{key}/events/SE.LD1/forms/F.LDDOSE").get_data(as_text=True)
    assert "can only be recorded for an enrolled subject" in html
    assert f'href="/subjects/{key}/eligibility" data-testid="blocked-first"' in html


def test_the_gate_is_the_one_the_save_runs(session, world):
    """The page asks the very gate the save runs: the rule set's, not a copy."""
    from ecrf.capture import rules
    from ecrf.consent.guards import consent_before_data
    from ecrf.treatment.guards import infusion_prerequisites

    assert consent_before_data in rules.installed().gates
    assert infusion_prerequisites in rules.installed().gates
