"""Visit dates are declared (StudyEvent.date_item on the visit's first form), never the earliest date entered.

Through capture (ecrf.capture.services.save_form) and the visit plan (ecrf.visits.services.plans), on the
database under test; dates relative to today so the windows are real.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from cell_therapy import infusion_values, ready_for_infusion
from helpers import consent, enrolled_subject, new_subject, save
from sqlalchemy import select

TODAY = date.today()


def ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


def _event(session, subject, oid: str):
    from ecrf.capture.models import StudyEventData

    session.expire_all()
    return session.scalar(select(StudyEventData).filter_by(subject_id=subject.id, event_oid=oid, repeat_key=1))


def _plan(session, subject, oid: str):
    from ecrf.visits.services import plans

    return next(p for p in plans(session, [subject], TODAY)[subject.id] if p.oid == oid and p.repeat == 1)


def _screening_subject(session, consented_days_ago: int = 40):
    subject = new_subject(session, consented=False)
    consent(session, subject, when=f"{ago(consented_days_ago)}T08:00")
    return subject


SLEHX = {"I.SLEHX.DIAGDAT": "2018-03-15", "I.SLEHX.ONSETDAT": "2017-11-02", "I.SLEHX.ANATITRE": "320"}


# --- the definition ----------------------------------------------------------------------------------------------

def test_every_visit_names_a_required_date_of_its_first_form_and_the_subject_level_event_none():
    from ecrf.study.definition import load
    from ecrf.study.schedule import INFUSION_START
    from ecrf.study.types import DataType

    study = load()
    for event in study.events:
        if event.type == "Common":
            assert event.date_item is None, event.oid
            continue
        first = study.form(event.forms[0].form_oid)
        item = study.items[event.date_item]
        assert study.form_of(event.date_item) == first.oid, event.oid
        assert item.required and item.data_type in (DataType.DATE, DataType.DATETIME), event.oid
    assert study.event("SE.D0").date_item == INFUSION_START
    assert [r.form_oid for r in study.event("SE.SCREENING").forms][:2] == ["F.SV", "F.SLEHX"]
    sv = study.items["I.SV.STDAT"]
    assert (sv.label, sv.required, sv.allow_future, sv.sdtm) == ("Visit date", True, False, "SVSTDTC")
    assert {e.date_item for e in study.events if e.oid.startswith(("SE.LD", "SE.M", "SE.Y"))} == {
        "I.LDDOSE.DAT", "I.VS.DTC", "I.LTFU.DAT"}


def _broken(event_oid: str, **change):
    from ecrf.study.crfs import FORMS
    from ecrf.study.crfs.checks import CHECKS
    from ecrf.study.definition import Study
    from ecrf.study.schedule import SCHEDULE

    events = tuple(replace(e, **change) if e.oid == event_oid else e for e in SCHEDULE)
    return Study(events, FORMS, CHECKS)


@pytest.mark.parametrize(("event_oid", "change", "message"), [
    ("SE.SCREENING", {"date_item": None}, "SE.SCREENING names no visit date item"),
    ("SE.SCREENING", {"date_item": "I.SLEHX.DIAGDAT"}, "I.SLEHX.DIAGDAT is on F.SLEHX, not on its first form F.SV"),
    ("SE.Y3", {"date_item": "I.LTFU.RCLDAT"}, "I.LTFU.RCLDAT must be a required full date"),  # optional
    ("SE.D1", {"date_item": "I.HEM.DTC"}, "I.HEM.DTC is on F.HEM, not on its first form F.VS"),
    ("SE.D1", {"date_item": "I.NOPE.DAT"}, "I.NOPE.DAT is not defined"),
    ("SE.D1", {"date_item": "I.VS.TEMP"}, "must be a required full date"),
    ("SE.SUBJECT", {"date_item": "I.IC.DTC"}, "SE.SUBJECT is subject-level"),
])
def test_the_definition_refuses_a_visit_date_item_that_is_missing_or_not_on_the_first_form(event_oid, change,
                                                                                             message):
    from ecrf.study.definition import DefinitionError

    with pytest.raises(DefinitionError, match=message.replace(".", r"\.")):
        _broken(event_oid, **change).check()


def test_the_definition_refuses_an_optional_or_reordered_first_form():
    from ecrf.study.definition import DefinitionError, load
    from ecrf.study.types import FormRef

    screening = load().event("SE.SCREENING")
    optional_first = (FormRef("F.SV", required=False), *screening.forms[1:])
    with pytest.raises(DefinitionError, match="must be required and not repeating"):
        _broken("SE.SCREENING", forms=optional_first).check()
    swapped = (screening.forms[1], screening.forms[0], *screening.forms[2:])
    with pytest.raises(DefinitionError, match="not on its first form F.SLEHX"):
        _broken("SE.SCREENING", forms=swapped).check()


# --- history dates never date a visit ---------------------------------------------------------------------------

def test_a_2018_diagnosis_entered_at_screening_does_not_date_the_visit(session, world):
    subject = _screening_subject(session)
    save(session, subject, "F.SLEHX", SLEHX)
    save(session, subject, "F.MH", {"I.MH.TERM": "Appendicectomy", "I.MH.STDAT": "2009-06-01", "I.MH.ONGO": "N"})
    assert _event(session, subject, "SE.SCREENING").actual_date is None
    before = _plan(session, subject, "SE.SCREENING")
    assert (before.actual, before.state) == (None, "overdue")  # consented 40 days ago, window 0..28: not done yet

    save(session, subject, "F.SV", {"I.SV.STDAT": ago(35)})
    assert _event(session, subject, "SE.SCREENING").actual_date == TODAY - timedelta(days=35)
    after = _plan(session, subject, "SE.SCREENING")
    assert (after.actual, after.state) == (TODAY - timedelta(days=35), "done")


@pytest.mark.parametrize(("visit_days_after_consent", "state"), [
    (0, "done"), (28, "done"), (29, "done_out_of_window"),
])
def test_screening_window_edges_use_the_declared_visit_date(session, world, visit_days_after_consent, state):
    subject = _screening_subject(session, consented_days_ago=40)
    save(session, subject, "F.SLEHX", SLEHX)  # 2018: would have been "out of window" under the old rule
    save(session, subject, "F.SV", {"I.SV.STDAT": ago(40 - visit_days_after_consent)})
    assert _plan(session, subject, "SE.SCREENING").state == state


def test_a_dosing_weight_date_before_the_infusion_does_not_date_day_0(session, world):
    subject = enrolled_subject(session)
    ready_for_infusion(session, subject, ld1=-8)
    weighed, infused = ago(9), ago(3)  # weighed before lymphodepletion; infused 3 days ago
    values = infusion_values(on=-3, **{"I.INF.WEIGHTDAT": weighed})
    save(session, subject, "F.INF", values, event_oid="SE.D0")
    assert _event(session, subject, "SE.D0").actual_date == date.fromisoformat(infused)
    d0 = _plan(session, subject, "SE.D0")
    assert (d0.target, d0.actual, d0.state) == (date.fromisoformat(infused), date.fromisoformat(infused), "done")
    # and the product's release date (day -8) never dated the leukapheresis visit: its collection start did
    assert _event(session, subject, "SE.LEUKAPHERESIS").actual_date == TODAY - timedelta(days=18)


def test_a_sample_date_on_a_later_form_does_not_date_the_visit(session, world):
    subject = _screening_subject(session)
    save(session, subject, "F.SV", {"I.SV.STDAT": ago(30)})
    save(session, subject, "F.VS", {"I.VS.DTC": f"{ago(38)}T09:00", "I.VS.TEMP": "36.6"})
    assert _event(session, subject, "SE.SCREENING").actual_date == TODAY - timedelta(days=30)


# --- the visit date follows its item ----------------------------------------------------------------------------

def test_the_visit_date_follows_corrections_both_ways_and_clearing_clears_it(session, world):
    from ecrf.audit.models import AuditEvent

    subject = _screening_subject(session)
    save(session, subject, "F.SV", {"I.SV.STDAT": ago(30)})  # complete: changes need a reason from now on
    reason = {"reason_code": "TRANSCRIPTION"}
    save(session, subject, "F.SV", {"I.SV.STDAT": ago(25)}, **reason)  # to a later date
    assert _event(session, subject, "SE.SCREENING").actual_date == TODAY - timedelta(days=25)
    save(session, subject, "F.SV", {"I.SV.STDAT": ago(33)}, **reason)  # and back to an earlier one
    assert _event(session, subject, "SE.SCREENING").actual_date == TODAY - timedelta(days=33)
    save(session, subject, "F.SV", {"I.SV.STDAT": ""}, **reason)
    assert _event(session, subject, "SE.SCREENING").actual_date is None
    assert _plan(session, subject, "SE.SCREENING").state == "overdue"
    changes = session.scalars(select(AuditEvent.new_value).where(
        AuditEvent.entity == "study_event_data", AuditEvent.subject_key == subject.key,
        AuditEvent.new_value.contains("actual_date")).order_by(AuditEvent.seq)).all()
    assert [c for c in changes if "actual_date" in c][-3:] == [
        f'{{"actual_date": "{ago(25)}"}}', f'{{"actual_date": "{ago(33)}"}}', '{"actual_date": null}']


def test_a_date_time_visit_date_is_the_sites_calendar_day(session, world):
    """A vital-signs time of 07:30 in Shanghai is the previous day in UTC: the visit is the site's day."""
    subject = enrolled_subject(session)
    ready_for_infusion(session, subject, ld1=-12)
    save(session, subject, "F.INF", infusion_values(on=-7), event_oid="SE.D0")
    save(session, subject, "F.VS", {"I.VS.DTC": f"{ago(6)}T07:30", "I.VS.TEMP": "37.0"}, event_oid="SE.D1")
    assert _event(session, subject, "SE.D1").actual_date == TODAY - timedelta(days=6)
    assert _plan(session, subject, "SE.D1").state == "done"
