"""The trial's path: consent, eligibility, enrolment, dose levels, cell therapy steps, pregnancy, schedule."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import (
    PASSWORD,
    VS_URL,
    confirm_eligible,
    consent,
    ctx,
    demographics,
    enrolled_subject,
    new_subject,
    register_icf,
    save,
    sledai_values,
    vs_values,
)
from sqlalchemy import func, select


def _refusal(fn, *args, **kw) -> str:
    from ecrf.errors import ServiceError

    with pytest.raises(ServiceError) as caught:
        fn(*args, **kw)
    return str(caught.value)


# --- consent ---------------------------------------------------------------------------------------------------

def test_no_data_before_consent_then_entry_is_allowed(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session, consented=False).key
    browser = as_role("coordinator")
    refused = browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"})
    assert refused.status_code == 409
    assert "before informed consent is recorded" in refused.get_data(as_text=True)
    with app.app_context():
        from ecrf.subjects.models import Subject

        consent(db.session, db.session.scalar(select(Subject).where(Subject.key == key)))
    assert browser.post(VS_URL.format(key=key), {**vs_values(), "version": "0"}).status_code == 302


def test_consent_must_name_a_registered_icf_version(session, world):
    subject = new_subject(session, consented=False)
    register_icf(session)
    message = _refusal(save, session, subject, "F.IC", {
        "I.IC.REASON": "FIRST", "I.IC.VERSION": "9.9", "I.IC.VERDAT": "2025-12-01", "I.IC.TYPE": "ADULT",
        "I.IC.SIGNER": "PARTICIPANT", "I.IC.DTC": "2026-11-01T08:00", "I.IC.COPY": "true"}, event_oid="SE.SUBJECT")
    assert "ICF version 9.9 is not in the register" in message and "2.0" in message


def test_consent_dated_after_a_procedure_is_refused_naming_both_dates(session, world):
    from ecrf.capture import services

    subject = new_subject(session)  # consented 2026-11-01
    save(session, subject, "F.VS", vs_values(**{"I.VS.DTC": "2026-11-05T09:00"}))
    target = services.resolve(subject, "SE.SUBJECT", "F.IC", 1, 1)
    form = services.find_form(session, target)
    values = {**form.values, "I.IC.DTC": "2026-11-10T09:00"}
    message = _refusal(services.save_form, session, target, values, version=form.version, user_id=None, ctx=ctx(),
                       reason_code="TRANSCRIPTION")
    assert "2026-11-10" in message and "2026-11-05" in message


def test_new_icf_version_flags_active_subjects_for_reconsent(app, world, as_role):
    from ecrf.consent.services import register_version
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
        register_version(db.session, "3.0", "ADULT", date(2026, 11, 10))
        db.session.commit()
    page = as_role("monitor").get(f"/subjects/{key}").get_data(as_text=True)
    assert 'data-testid="reconsent-flag"' in page and "version 3.0" in page


def test_child_reaching_adulthood_is_flagged_for_adult_consent(session, world):
    from ecrf.casebook import overview

    subject = new_subject(session, consented=False)
    consent(session, subject, "GUARDIAN")
    consent(session, subject, "ASSENT")
    eighteen_last_month = (date.today() - timedelta(days=365 * 18 + 40)).isoformat()
    demographics(session, subject, "M", eighteen_last_month)
    flags = overview.build(session, subject).flags
    assert any("turned 18" in f for f in flags)


def test_withdrawal_of_all_consent_stops_data_entry(session, world):
    from ecrf.consent.services import withdraw

    subject = new_subject(session)
    withdraw(session, subject, "ALL", date(2026, 11, 6), "participant's wish")
    session.commit()
    assert "withdrawn" in _refusal(save, session, subject, "F.VS", vs_values())
    assert subject.status == "withdrawn"


# --- eligibility and enrolment ---------------------------------------------------------------------------------

def test_eligibility_page_shows_each_criterion_with_its_value(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject, "M", "2016-01-01")  # a 10-year-old
        save(db.session, subject, "F.CARDIO", {"I.CARDIO.ECHODAT": "2026-11-02", "I.CARDIO.LVEF": "54",
                                               "I.CARDIO.ECGDAT": "2026-11-02", "I.CARDIO.ECG": "NORMAL"})
        key = subject.key
    page = as_role("investigator").get(f"/subjects/{key}/eligibility").get_data(as_text=True)
    for code in ("IN1", "IN2", "IN3", "IN4", "IN5", "IN6", "IN7", "IN8", "IN9", "IN10", "IN11", "EX"):
        assert f'data-testid="criterion-{code}"' in page
    assert "54" in page  # the LVEF used
    in5 = page.split('data-testid="criterion-IN5"')[1].split("</tr>")[0]
    assert "not met" in in5


def test_confirmation_needs_the_password_and_a_reason_for_overrides(app, world, as_role):
    from ecrf.audit.models import AuditEvent
    from ecrf.enrolment.models import EligibilityReview
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject)
        key = subject.key
    browser = as_role("investigator")
    url = f"/subjects/{key}/eligibility"
    wrong = browser.post(url, {"password": "not my password", "override": ["IN5"]})
    assert "password is wrong" in browser.get(wrong.headers["Location"]).get_data(as_text=True)
    no_reason = browser.post(url, {"password": PASSWORD, "override": ["IN5"]})
    assert "requires a reason" in browser.get(no_reason.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(EligibilityReview)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "signature_failed")) == 1
    import re

    page = browser.get(url).get_data(as_text=True)
    everything = re.findall(r'name="override" value="([A-Z0-9]+)"', page)  # every criterion not met
    assert "IN5" in everything and len(everything) >= 2
    ok = browser.post(url, {"password": PASSWORD, "override": everything, "reason": "source verified on paper",
                            "despite_missing": "yes"})
    assert "Eligibility confirmed" in browser.get(ok.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        review = db.session.scalar(select(EligibilityReview))
        assert review.eligible and review.override_reason == "source verified on paper"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "eligibility_review",
                                                          AuditEvent.action == "create")) is not None


def test_enrolment_assigns_number_and_dose_level_and_needs_a_confirmation(session, world):
    from ecrf.capture.facts import form_entries
    from ecrf.enrolment import services

    subject = new_subject(session)
    assert "not been confirmed" in _refusal(services.enrol, session, subject, date.today())
    session.rollback()
    demographics(session, subject)
    confirm_eligible(session, subject)
    services.enrol(session, subject, date.today())
    session.commit()
    assert (subject.subject_no, subject.status, subject.dose_level, subject.cohort_seq) == ("01-001", "enrolled", 1, 1)
    assert form_entries(session, subject.id, "F.ENROL")[0]["I.ENROL.DOSELEVEL"] == "1"
    assert "Enrol action" in _refusal(save, session, subject, "F.ENROL", {"I.ENROL.DOSELEVEL": "3"},
                                      event_oid="SE.SUBJECT")


def test_not_eligible_without_override_cannot_be_enrolled(session, world):
    from ecrf.auth.models import User
    from ecrf.enrolment import services

    subject = new_subject(session)
    investigator = session.scalar(select(User).where(User.username == "investigator"))
    review = services.confirm_eligibility(session, subject, investigator, PASSWORD, [], None)
    session.commit()
    assert not review.eligible
    assert "not been confirmed" in _refusal(services.enrol, session, subject, date.today())


def test_dose_decisions_gate_the_level_of_new_enrolments(session, world):
    from ecrf.auth.models import User
    from ecrf.enrolment import services

    investigator = session.scalar(select(User).where(User.username == "investigator"))
    first = enrolled_subject(session)
    assert first.dose_level == 1
    services.record_decision(session, investigator, "escalate", date.today(), "no DLT in 3 subjects")
    session.commit()
    second = enrolled_subject(session)
    assert (second.dose_level, second.cohort_seq) == (2, 1)
    services.record_decision(session, investigator, "escalate", date.today(), "no DLT at level 2")
    assert "no dose level 4" in _refusal(services.record_decision, session, investigator, "escalate",
                                         date.today(), "x")
    session.rollback()
    services.record_decision(session, investigator, "stop", date.today(), "DLT in 2 of 3")
    session.commit()
    third = new_subject(session)
    demographics(session, third)
    confirm_eligible(session, third)
    assert "stopped" in _refusal(services.enrol, session, third, date.today())


def test_screen_failure_is_kept_in_the_log(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    browser = as_role("coordinator")
    browser.post(f"/subjects/{key}/screen-fail", {"reason": "LVEF 45 %"})
    log = browser.get("/screening-log").get_data(as_text=True)
    assert key in log and "LVEF 45 %" in log and "screen failed" in log


# --- cell therapy steps ----------------------------------------------------------------------------------------

def _collect(session, subject, day: str):
    save(session, subject, "F.LEUK", {"I.LEUK.TYPE": "LEUKAPHERESIS", "I.LEUK.STDTC": f"{day}T09:00",
                                      "I.LEUK.ENDTC": f"{day}T13:00", "I.LEUK.TNC": "5.2", "I.LEUK.COMPL": "false"},
         event_oid="SE.LEUKAPHERESIS")


def _ld(session, subject, event_oid: str, day: str):
    save(session, subject, "F.LDDOSE", {"I.LDDOSE.DAT": day, "I.LDDOSE.FLUYN": "true", "I.LDDOSE.FLUM2": "30",
                                        "I.LDDOSE.CYYN": "true", "I.LDDOSE.CYM2": "500", "I.LDDOSE.MOD": "false"},
         event_oid=event_oid)


def _infusion_values(day: str, **override) -> dict:
    values = {"I.INF.WEIGHT": "60", "I.INF.WEIGHTDAT": day, "I.INF.DOSELEVEL": "1", "I.INF.DOSEKG": "1.5",
              "I.INF.LOT": "LOT-001", "I.INF.STDTC": f"{day}T10:00", "I.INF.ENDTC": f"{day}T10:20",
              "I.INF.COMPLETE": "true", "I.INF.PREMED": "false", "I.INF.REACT": "false"}
    values.update(override)
    return values


def _day(offset: int) -> str:
    return (date.today() + timedelta(days=offset)).isoformat()


def _release(session, subject, lot: str = "LOT-001", result: str = "PASS", day: int = -8):
    save(session, subject, "F.PRODUCT", {"I.PRODUCT.LOT": lot, "I.PRODUCT.VECTOR": "LENTIVIRAL",
                                         "I.PRODUCT.RELDAT": _day(day), "I.PRODUCT.VIAB": "92.5",
                                         "I.PRODUCT.CARPCT": "41.0", "I.PRODUCT.RELRES": result},
         event_oid="SE.LEUKAPHERESIS", reason_code="SOURCE_UPDATED")


def _ready_for_infusion(session, subject, ld1: int = -6, release: bool = True):
    _collect(session, subject, _day(ld1 - 10))
    if release:
        _release(session, subject, day=ld1)
    for n, event_oid in enumerate(("SE.LD1", "SE.LD2", "SE.LD3")):
        _ld(session, subject, event_oid, _day(ld1 + n))


def test_infusion_before_lymphodepletion_is_refused_naming_both_dates(session, world):
    subject = enrolled_subject(session)
    _ready_for_infusion(session, subject, ld1=-6)
    message = _refusal(save, session, subject, "F.INF", _infusion_values(_day(-5)), event_oid="SE.D0")
    assert _day(-5) in message and _day(-4) in message


def test_lymphodepletion_needs_an_enrolled_subject_and_a_prior_collection(session, world):
    subject = new_subject(session)
    demographics(session, subject)
    assert "enrolled subject" in _refusal(_ld, session, subject, "SE.LD1", _day(-3))
    session.rollback()
    enrolled = enrolled_subject(session)
    assert "cell collection" in _refusal(_ld, session, enrolled, "SE.LD1", _day(-3))


def test_infusion_stores_total_cells_and_checks_the_dose(session, world):
    from ecrf.capture.facts import event_values

    subject = enrolled_subject(session)
    _ready_for_infusion(session, subject)
    assert "more than 20% away" in _refusal(save, session, subject, "F.INF",
                                            _infusion_values(_day(-1), **{"I.INF.DOSEKG": "1.9"}), event_oid="SE.D0")
    session.rollback()
    save(session, subject, "F.INF", _infusion_values(_day(-1), **{"I.INF.DOSEKG": "1.6"}), event_oid="SE.D0")
    stored = event_values(session, subject.id, ["SE.D0"])["SE.D0"]
    assert stored["I.INF.TOTAL"] == "9.6"  # 1.6e5/kg x 60 kg = 9.6e6 cells


def test_the_next_subject_of_a_level_waits_for_the_sentinel_period(session, world):
    sentinel = enrolled_subject(session)
    _ready_for_infusion(session, sentinel, ld1=-16)
    save(session, sentinel, "F.INF", _infusion_values(_day(-10)), event_oid="SE.D0")
    second = enrolled_subject(session)
    _ready_for_infusion(session, second, ld1=-8)
    message = _refusal(save, session, second, "F.INF", _infusion_values(_day(-2)), event_oid="SE.D0")
    assert f"may be infused from {_day(4)}" in message


def test_wocbp_needs_a_negative_test_before_lymphodepletion_and_infusion(session, world):
    subject = enrolled_subject(session, sex="F", dob="1995-01-01", **{"I.DM.MENARCHE": "true"})
    _collect(session, subject, _day(-20))
    assert "negative pregnancy test is required before lymphodepletion" in _refusal(
        _ld, session, subject, "SE.LD1", _day(-6))
    session.rollback()
    save(session, subject, "F.PREG", {"I.PREG.DTC": f"{_day(-7)}T08:00", "I.PREG.SPEC": "SERUM", "I.PREG.RES": "POS"},
         event_oid="SE.PRELD")
    assert "not negative" in _refusal(_ld, session, subject, "SE.LD1", _day(-6))
    session.rollback()
    save(session, subject, "F.PREG", {"I.PREG.DTC": f"{_day(-7)}T08:00", "I.PREG.SPEC": "SERUM", "I.PREG.RES": "NEG"},
         event_oid="SE.PRELD", reason_code="TRANSCRIPTION")
    for n, event_oid in enumerate(("SE.LD1", "SE.LD2", "SE.LD3")):
        _ld(session, subject, event_oid, _day(-6 + n))
    _release(session, subject)
    assert "before the infusion" in _refusal(save, session, subject, "F.INF", _infusion_values(_day(-1)),
                                             event_oid="SE.D0")


def test_positive_test_in_follow_up_opens_a_pregnancy_report(app, world, as_role):
    from ecrf.capture.facts import form_entries
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = enrolled_subject(db.session, sex="F", dob="1995-01-01", **{"I.DM.MENARCHE": "true"})
        save(db.session, subject, "F.PREG", {"I.PREG.DTC": f"{_day(-1)}T08:00", "I.PREG.SPEC": "URINE",
                                             "I.PREG.RES": "POS"}, event_oid="SE.M2")
        reports = form_entries(db.session, subject.id, "F.PREGREP")
        assert len(reports) == 1 and reports[0]["I.PREGREP.SUBJ"] == "PARTICIPANT"
        key = subject.key
    page = as_role("monitor").get(f"/subjects/{key}").get_data(as_text=True)
    assert 'data-testid="pregnancy-open"' in page


# --- calculators and schedule ----------------------------------------------------------------------------------

def test_calculated_items_are_recomputed_on_the_server_with_their_formula(session, world):
    from ecrf.capture.models import ItemData

    subject = new_subject(session)
    demographics(session, subject, "F", "2016-03-01")
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": "2026-11-02", "I.HTWT.HEIGHT": "140", "I.HTWT.WEIGHT": "35"})
    save(session, subject, "F.SLEDAI", sledai_values("arthritis", "rash", "low_complement",
                                                     **{"I.SLEDAI.TOTAL": "99"}))
    save(session, subject, "F.CHEM", {"I.CHEM.DTC": "2026-11-02", "I.CHEM.CREATORRES": "50", "I.CHEM.CREATU": "umol/L",
                                      "I.CHEM.ALT": "20", "I.CHEM.ALTULN": "40", "I.CHEM.AST": "20",
                                      "I.CHEM.ASTULN": "40", "I.CHEM.BILI": "8", "I.CHEM.BILIULN": "21",
                                      "I.CHEM.CLSIG": "false"})
    rows = {r.item_oid: r for r in session.scalars(select(ItemData).where(ItemData.formula.is_not(None)))}
    assert rows["I.SLEDAI.TOTAL"].value == "8"  # 4 + 2 + 2, not the 99 sent
    assert "SLEDAI-2K" in rows["I.SLEDAI.TOTAL"].formula
    # bedside Schwartz for a 10-year-old: 0.413 x 140 / (50 / 88.4) = 102.2
    assert rows["I.CHEM.EGFR"].value == "102.2" and "Schwartz" in rows["I.CHEM.EGFR"].formula


def test_live_calculation_endpoint_uses_the_server_functions(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = enrolled_subject(db.session)
        key = subject.key
    browser = as_role("coordinator")
    response = browser.post(f"/subjects/{key}/events/SE.LD1/forms/F.LD/calculate",
                            {"I.LD.HEIGHT": "170", "I.LD.WEIGHT": "60"})
    assert response.status_code == 200
    assert response.json["I.LD.BSA"]["value"] == "1.68" and "Mosteller" in response.json["I.LD.BSA"]["formula"]


def test_schedule_from_the_infusion_date_and_not_done_visits(app, world, as_role):
    from ecrf.casebook import overview
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = enrolled_subject(db.session)
        _ready_for_infusion(db.session, subject, ld1=-35)
        save(db.session, subject, "F.INF", _infusion_values(_day(-30)), event_oid="SE.D0")
        view = overview.build(db.session, subject)
        states = {p.event.oid: p for p in view.visits}
        assert states["SE.D1"].state == "overdue" and states["SE.D28"].target == date.today() - timedelta(days=2)
        assert states["SE.D28"].state == "due"  # window +/-3
        assert states["SE.M2"].state == "upcoming"
        key = subject.key
    browser = as_role("coordinator")
    browser.post(f"/subjects/{key}/events/SE.D1/not-done", {"reason": "discharged early, seen on day 2"})
    calendar = browser.get("/calendar").get_data(as_text=True)
    assert "Day 2" in calendar and "overdue" in calendar and "Day 28" in calendar
    with app.app_context():
        from ecrf.subjects.models import Subject

        s = db.session.scalar(select(Subject).where(Subject.key == key))
        plan = {p.event.oid: p for p in overview.build(db.session, s).visits}
        assert plan["SE.D1"].state == "not_done" and plan["SE.D1"].reason == "discharged early, seen on day 2"


def test_lymphodepletion_expected_dose_uses_the_bsa_and_checks_the_given_dose(session, world):
    from ecrf.capture.facts import event_values

    subject = enrolled_subject(session)
    _collect(session, subject, _day(-20))
    save(session, subject, "F.LD", {"I.LD.DAT": _day(-6), "I.LD.HEIGHT": "170", "I.LD.WEIGHT": "60"},
         event_oid="SE.LD1")
    assert event_values(session, subject.id, ["SE.LD1"])["SE.LD1"]["I.LD.BSA"] == "1.68"
    dose = {"I.LDDOSE.DAT": _day(-6), "I.LDDOSE.FLUYN": "true", "I.LDDOSE.FLUM2": "30", "I.LDDOSE.FLUMG": "60",
            "I.LDDOSE.CYYN": "true", "I.LDDOSE.CYM2": "500", "I.LDDOSE.CYMG": "840", "I.LDDOSE.MOD": "false"}
    message = _refusal(save, session, subject, "F.LDDOSE", dose, event_oid="SE.LD1")
    assert "60 mg given is more than 10 % away from the expected 50.4 mg" in message
    session.rollback()
    save(session, subject, "F.LDDOSE", {**dose, "I.LDDOSE.FLUMG": "50.4"}, event_oid="SE.LD1")
    stored = event_values(session, subject.id, ["SE.LD1"])["SE.LD1"]
    assert (stored["I.LDDOSE.FLUEXP"], stored["I.LDDOSE.CYEXP"]) == ("50.4", "840")


def test_infusion_needs_the_released_lot(session, world):
    subject = enrolled_subject(session)
    _ready_for_infusion(session, subject, release=False)
    assert "no release result" in _refusal(save, session, subject, "F.INF", _infusion_values(_day(-1)),
                                           event_oid="SE.D0")
    session.rollback()
    _release(session, subject, lot="LOT-777", result="FAIL")
    assert "no release result" in _refusal(save, session, subject, "F.INF", _infusion_values(_day(-1)),
                                           event_oid="SE.D0")
    session.rollback()
    _release(session, subject, lot="LOT-777", result="PASS")
    assert "not the released lot LOT-777" in _refusal(save, session, subject, "F.INF", _infusion_values(_day(-1)),
                                                      event_oid="SE.D0")


def test_consent_cannot_be_overridden_and_no_enrolment_without_it(session, world):
    from ecrf.auth.models import User
    from ecrf.enrolment import services
    from ecrf.enrolment.models import EligibilityReview

    subject = new_subject(session, consented=False)
    investigator = session.scalar(select(User).where(User.username == "investigator"))
    result = services.eligibility(session, subject)
    assert "IN11" in result.failed + result.missing
    assert "cannot be overridden" in _refusal(services.confirm_eligibility, session, subject, investigator, PASSWORD,
                                              [*result.failed, *result.missing], "pressed for time")
    session.rollback()
    # even with an eligible review on file (as if entered before a consent was deleted), enrolment checks consent
    session.add(EligibilityReview(subject=subject, reviewed_by_id=investigator.id, eligible=True, snapshot="[]"))
    session.commit()
    assert "without recorded informed consent" in _refusal(services.enrol, session, subject, date.today())


def test_long_texts_and_impossible_repeats_are_refused_with_a_message(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    investigator = as_role("investigator")
    response = investigator.post(f"/subjects/{key}/withdraw", {"scope": "TREATMENT", "withdrawn_on": "2026-11-10",
                                                               "note": "x" * 1001})
    assert "too long" in investigator.get(response.headers["Location"]).get_data(as_text=True)
    assert investigator.post(f"/subjects/{key}/events/SE.D1/not-done",
                             {"reason": "x", "event_repeat": "2"}).status_code == 404


def test_age_at_consent_counts_the_site_local_date(session, world):
    """Consent at 07:00 in Shanghai on the 5th birthday is 23:00 UTC the day before: still 5 years old."""
    from ecrf.enrolment import services

    subject = new_subject(session, consented=False)
    consent(session, subject, "GUARDIAN", when="2026-11-01T07:00")
    demographics(session, subject, "M", "2021-11-01")
    assert services.eligibility(session, subject)["IN1"].status == "met"


def test_pregnancy_forms_are_required_only_for_a_woman_of_childbearing_potential(app, world, as_role):
    from ecrf.infra.extensions import db

    with app.app_context():
        woman = new_subject(db.session)
        demographics(db.session, woman, "F", "1995-01-01", **{"I.DM.MENARCHE": "true"})
        man = new_subject(db.session)
        demographics(db.session, man, "M", "1990-01-01")
        keys = woman.key, man.key
    browser = as_role("monitor")
    cell = 'data-testid="cell-SE.M3-F.PREG"'
    for key, optional in zip(keys, (False, True)):
        page = browser.get(f"/subjects/{key}").get_data(as_text=True)
        assert ("(opt)" in page.split(cell)[1].split("</td>")[0]) is optional


def test_the_signed_snapshot_stores_codes_and_the_page_shows_its_words(app, world, as_role):
    import json

    from ecrf.enrolment.models import EligibilityReview
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        demographics(db.session, subject)
        save(db.session, subject, "F.CARDIO", {"I.CARDIO.ECHODAT": "2026-11-02", "I.CARDIO.LVEF": "54",
                                               "I.CARDIO.ECGDAT": "2026-11-02", "I.CARDIO.ECG": "NORMAL"})
        confirm_eligible(db.session, subject)
        stored = json.loads(db.session.scalar(select(EligibilityReview.snapshot)))
        key = subject.key
    in5 = next(c for c in stored if c["code"] == "IN5")
    assert in5 == {"code": "IN5", "status": "not_met", "missing": [], "message": {"code": "join", "parts": [
        {"code": "lvef", "value": "54"}, {"code": "ecg", "finding": "NORMAL"}]}}
    assert all(set(c) == {"code", "status", "message", "missing"} for c in stored)  # no English label or sentence
    page = as_role("investigator").get(f"/subjects/{key}/eligibility").get_data(as_text=True)
    signed = page.split('data-testid="snapshot-IN5"')[1].split("</tr>")[0]
    assert "LVEF &gt;= 55 % and no obvious ECG abnormality" in signed and "LVEF 54 %; ECG normal" in signed
    assert "not met" in signed


def test_a_snapshot_signed_before_codes_still_shows_its_english_sentences(app, world, as_role):
    import json

    from ecrf.auth.models import User
    from ecrf.enrolment.models import EligibilityReview
    from ecrf.infra.extensions import db

    old = [{"code": "IN4", "label": "SLEDAI-2K >= 8", "status": "met", "value": "SLEDAI-2K 12", "missing": []}]
    with app.app_context():
        subject = new_subject(db.session)
        investigator = db.session.scalar(select(User).where(User.username == "investigator"))
        db.session.add(EligibilityReview(subject=subject, reviewed_by_id=investigator.id, eligible=False,
                                         snapshot=json.dumps(old)))
        db.session.commit()
        key = subject.key
    page = as_role("investigator").get(f"/subjects/{key}/eligibility").get_data(as_text=True)
    row = page.split('data-testid="snapshot-IN4"')[1].split("</tr>")[0]
    assert "SLEDAI-2K &gt;= 8" in row and "SLEDAI-2K 12" in row and "criterion-met" in row
