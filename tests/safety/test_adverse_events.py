"""Adverse events at the form level: what a site cannot store (hard, at the field), what it stores with a system
query (soft), the computed hours from the infusion and the DLT window at its boundary (day 28 in, day 29 out)."""
from __future__ import annotations

import pytest
from helpers import new_subject, save
from safety_helpers import ae, infuse, save_ae, serious
from sqlalchemy import select

from ecrf.errors import Invalid
from ecrf.study.checks import Severity
from ecrf.study.definition import load as load_study

INFUSION = "2026-11-03T10:00"  # Shanghai: 02:00 UTC; day 28 is 2026-12-01, day 29 2026-12-02


def _check(check_id):
    return next(c for c in load_study().checks if c.id == check_id)


def _refused(session, subject, values, repeat=1) -> dict[str, str]:
    with pytest.raises(Invalid) as refused:
        save_ae(session, subject, values, repeat)
    session.rollback()
    return refused.value.errors


def _stored(session, subject):
    from ecrf.capture.facts import form_entries

    return form_entries(session, subject.id, "F.AE")


def _open_system_queries(session, form):
    from ecrf.queries.models import OPEN, SYSTEM, Query

    return session.scalars(select(Query).where(Query.form_id == form.id, Query.raised_role == SYSTEM,
                                               Query.state == OPEN)).all()


def test_the_severities_are_hard_where_the_fix_is_on_the_ae_screen():
    for check_id in ("AE.END_AFTER_START", "AE.END_TIME_AFTER_ONSET", "AE.SER_NEEDS_CRITERION",
                     "AE.CRITERION_NEEDS_SER", "AE.GRADE5_FATAL_OUTCOME", "AE.GRADE5_SDTH_YES",
                     "AE.DLT_IN_WINDOW", "AE.ONSET_TIME_SAME_DAY"):
        assert _check(check_id).severity is Severity.HARD, check_id
    assert _check("AE.GRADE5_DEATH_FORM").severity is Severity.SOFT
    assert _check("AE.GRADE5_DEATH_FORM").needs == ("I.DEATH.DAT",)


def test_the_aesi_list_covers_the_issue():
    from ecrf.study.crfs.adverse import AESI

    labels = " | ".join(i.label for i in AESI.items)
    for wanted in ("(CRS)", "(ICANS)", "ICAHT", "cytopenia", "Infection", "Hypogammaglobulinaemia",
                   "Secondary malignancy", "HLH-like syndrome (IEC-HS)"):
        assert wanted in labels, wanted


def test_a_serious_event_needs_a_criterion_and_a_criterion_needs_a_serious_event(session, world):
    subject = new_subject(session)
    errors = _refused(session, subject, serious(**{"I.AE.SHOSP": "N"}))
    assert "at least one seriousness criterion" in errors["I.AE.SER"]
    errors = _refused(session, subject, ae(**{"I.AE.SMIE": "Y"}))
    assert "the event is serious" in errors["I.AE.SER"]
    assert _stored(session, subject) == []  # nothing of either was stored
    form = save_ae(session, subject, serious())
    assert form.values["I.AE.SER"] == "Y" and form.status == "complete"


def test_grade_5_must_be_fatal_and_result_in_death_at_the_field(session, world):
    subject = new_subject(session)
    five = serious(**{"I.AE.TOXGR": "5", "I.AE.SDTH": "Y", "I.AE.OUT": "FATAL", "I.AE.ONGO": "N",
                      "I.AE.ENDAT": "2026-11-14"})
    errors = _refused(session, subject, {**five, "I.AE.OUT": "NOT RECOVERED/NOT RESOLVED"})
    assert set(errors) == {"I.AE.OUT"} and "outcome must be Fatal" in errors["I.AE.OUT"]
    errors = _refused(session, subject, {**five, "I.AE.SDTH": "N"})
    assert set(errors) == {"I.AE.SDTH"} and "'Results in death' must be Yes" in errors["I.AE.SDTH"]
    errors = _refused(session, subject, {k: v for k, v in five.items() if k != "I.AE.SDTH"})
    assert set(errors) == {"I.AE.SDTH"}
    assert _stored(session, subject) == []


def test_grade_5_shows_complete_the_death_form_until_it_is_entered(session, world):
    subject = new_subject(session)
    five = serious(**{"I.AE.TOXGR": "5", "I.AE.SDTH": "Y", "I.AE.OUT": "FATAL", "I.AE.ONGO": "N",
                      "I.AE.ENDAT": "2026-11-14"})
    form = save_ae(session, subject, five)
    [query] = _open_system_queries(session, form)
    assert query.check_id == "AE.GRADE5_DEATH_FORM" and query.item_oid == "I.AE.TOXGR"
    assert "complete the death form" in query.messages[0].text
    save(session, subject, "F.DEATH", {"I.DEATH.DAT": "2026-11-14", "I.DEATH.CAT": "INFECTION",
                                       "I.DEATH.CAUSE": "Sepsis", "I.DEATH.REL": "POSSIBLY RELATED"},
         event_oid="SE.SUBJECT")
    session.expire_all()
    assert _open_system_queries(session, form) == []  # closed by the death form's save, without touching the AE


def test_an_end_before_the_onset_is_refused_by_date_and_by_time(session, world):
    subject = new_subject(session)
    resolved = ae(**{"I.AE.ONGO": "N", "I.AE.OUT": "RECOVERED/RESOLVED"})
    errors = _refused(session, subject, {**resolved, "I.AE.ENDAT": "2026-11-11"})
    assert "before the start date" in errors["I.AE.ENDAT"]
    same_day = {**resolved, "I.AE.ENDAT": "2026-11-12", "I.AE.STDTC": "2026-11-12T14:00"}
    errors = _refused(session, subject, {**same_day, "I.AE.ENDTC": "2026-11-12T13:59"})
    assert "before the onset" in errors["I.AE.ENDTC"]
    errors = _refused(session, subject, {**same_day, "I.AE.STDTC": "2026-11-13T01:00"})
    assert "not on the start date" in errors["I.AE.STDTC"]
    form = save_ae(session, subject, {**same_day, "I.AE.ENDTC": "2026-11-12T14:00"})  # ends when it began: allowed
    assert form.values["I.AE.ENDTC"] == "2026-11-12T06:00:00Z"


def test_hours_from_the_infusion_are_computed_and_follow_a_corrected_infusion(session, world):
    subject = new_subject(session)
    form = save_ae(session, subject, ae(**{"I.AE.STDAT": "2026-11-04", "I.AE.STDTC": "2026-11-04T16:30"}))
    assert form.values.get("I.AE.INFHRS") is None  # no infusion yet: nothing to count from
    infuse(session, subject, INFUSION)
    form = save_ae(session, subject, ae(**{"I.AE.STDAT": "2026-11-04", "I.AE.STDTC": "2026-11-04T16:30",
                                           "I.AE.TERM": "Fever"}), reason_code="TRANSCRIPTION")
    assert form.values["I.AE.INFHRS"] == "30.5"
    infuse(session, subject, "2026-11-03T12:00")  # the infusion started two hours later than entered
    session.expire_all()
    assert _stored(session, subject)[0]["I.AE.INFHRS"] == "28.5"
    before = save_ae(session, subject, ae(**{"I.AE.STDAT": "2026-11-03", "I.AE.STDTC": "2026-11-03T06:00"}), 2)
    assert before.values["I.AE.INFHRS"] == "-6"


@pytest.mark.parametrize("onset, in_window", [("2026-11-02", False), ("2026-11-03", True), ("2026-12-01", True),
                                              ("2026-12-02", False)])
def test_the_dlt_window_is_the_infusion_day_to_day_28(session, world, onset, in_window):
    from datetime import date

    from ecrf.visits.planning import dlt_window

    first, last = dlt_window(date(2026, 11, 3))
    assert (first <= date.fromisoformat(onset) <= last) is in_window  # the planning module counts the same days
    subject = new_subject(session)
    infuse(session, subject, INFUSION)
    form = save_ae(session, subject, ae(**{"I.AE.STDAT": onset}))
    assert form.values["I.AE.DLTWIN"] == str(in_window).lower()
    if in_window:
        assert save_ae(session, subject, ae(**{"I.AE.STDAT": onset, "I.AE.DLT": "true"}),
                       reason_code="TRANSCRIPTION").values["I.AE.DLT"] == "true"
    else:
        errors = _refused(session, subject, ae(**{"I.AE.STDAT": onset, "I.AE.DLT": "true"}))
        assert set(errors) == {"I.AE.DLT"} and "outside it" in errors["I.AE.DLT"]


def test_a_serious_event_needs_awareness_and_expectedness_to_be_complete(session, world):
    subject = new_subject(session)
    form = save_ae(session, subject, {k: v for k, v in serious().items()
                                      if k not in ("I.AE.AWAREDTC", "I.AE.EXPECT")})
    assert form.status == "incomplete"
    assert {q.check_id for q in _open_system_queries(session, form)} == {"AE.AWARENESS_IF_SERIOUS",
                                                                          "AE.EXPECT_IF_SERIOUS"}
    errors = _refused(session, subject, serious(**{"I.AE.RPTDTC": "2026-11-12T09:00"}), 2)
    assert "before the site became aware" in errors["I.AE.RPTDTC"]
