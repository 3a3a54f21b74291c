"""Concomitant glucocorticoids as prednisone equivalent (F.CM calculated items) and the per-subject taper with the
immunosuppressant stops (ecrf.treatment.steroid_course), in one SQL statement whatever the number of entries."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from cell_therapy import day, infused
from helpers import ctx, enrolled_subject, new_subject, save, statements, vs_values

from ecrf.capture import services as capture
from ecrf.treatment import steroid_course


def _cm(session, subject, n: int, **values):
    target = capture.resolve(subject, "SE.SUBJECT", "F.CM", 1, n)
    existing = capture.find_form(session, target)
    base = {"I.CM.TRT": "prednisolone", "I.CM.CAT": "SLE", "I.CM.INDC": "SLE", "I.CM.STDAT": day(-20),
            "I.CM.ONGO": "Y", "I.CM.GCDRUG": "prednisolone", "I.CM.DOSE": "20", "I.CM.DOSU": "mg",
            "I.CM.DOSFRQ": "QD"}
    form = capture.save_form(session, target, {**base, **values}, version=existing.version if existing else 0,
                             user_id=None, ctx=ctx(), reason_code="TRANSCRIPTION")
    session.commit()
    return form


def _gcis(session, subject, event_oid: str, on: int, dose: str | None, **drugs):
    values = {"I.GCIS.DAT": day(on), "I.GCIS.GCYN": "true" if dose else "false", "I.GCIS.ISYN": "true" if drugs
              else "false", **{f"I.GCIS.{k}": v for k, v in drugs.items()}}
    if dose:
        values.update({"I.GCIS.GCDRUG": "prednisone", "I.GCIS.GCDOSE": dose})
    save(session, subject, "F.GCIS", values, event_oid=event_oid)




# -- F.CM: prednisone-equivalent daily dose and mg/kg/day ---------------------------------------------------------

def test_a_glucocorticoid_on_the_medication_log_shows_its_prednisone_equivalent(session, world):
    subject = new_subject(session)
    save(session, subject, "F.HTWT", {"I.HTWT.DAT": day(-25), "I.HTWT.HEIGHT": "150", "I.HTWT.WEIGHT": "50"})
    form = _cm(session, subject, 1, **{"I.CM.GCDRUG": "methylprednisolone", "I.CM.DOSE": "8", "I.CM.DOSFRQ": "BID"})
    assert (form.values["I.CM.GCPREDEQ"], form.values["I.CM.GCMGKG"]) == ("20", "0.4")  # 16 mg x 5/4; / 50 kg
    rows = {i.item_oid: i.formula for i in form.items}
    assert "administrations per day" in rows["I.CM.GCPREDEQ"] and "I.HTWT.WEIGHT" in rows["I.CM.GCMGKG"]
    # the visit's weight is later than the screening one: it is used, and the stored mg/kg follows it
    save(session, subject, "F.VS", vs_values(**{"I.VS.WEIGHT": "40"}))
    session.refresh(form)
    assert form.values["I.CM.GCMGKG"] == "0.5"


def test_other_medications_and_doses_without_a_daily_dose(session, world):
    from ecrf.capture import derived
    from ecrf.study.definition import load
    from ecrf.study.validation import Context

    subject = new_subject(session)
    other = _cm(session, subject, 1, **{"I.CM.TRT": "hydroxychloroquine", "I.CM.GCDRUG": ""})
    assert other.values.get("I.CM.GCPREDEQ") is None and other.values.get("I.CM.GCMGKG") is None
    prn = _cm(session, subject, 2, **{"I.CM.DOSFRQ": "PRN"})
    assert prn.values.get("I.CM.GCPREDEQ") is None
    why = derived.why_not_calculated(session, subject.id, load().form("F.CM"), prn.values,
                                     Context.now_at(subject.site.zone))
    assert "PRN" in why["I.CM.GCPREDEQ"].params["problem"]
    no_weight = _cm(session, subject, 3)
    assert no_weight.values["I.CM.GCPREDEQ"] == "20" and no_weight.values.get("I.CM.GCMGKG") is None


# -- the per-subject course -------------------------------------------------------------------------------------

@pytest.fixture
def subject(session, world):
    subject = enrolled_subject(session)
    infused(session, subject, on=-10)  # F.INF weighs 60 kg on day 0
    return subject


def test_the_taper_after_infusion_and_the_stop_of_immunosuppressants(session, subject):
    _gcis(session, subject, "SE.M2", -12, "30", MMF="true", TAC="true")   # day -2
    _gcis(session, subject, "SE.M3", -3, "15", MMF="true")                # day 7: tacrolimus stopped
    _gcis(session, subject, "SE.M6", 0, None)                            # day 10: all stopped
    _cm(session, subject, 1, **{"I.CM.STDAT": day(-12), "I.CM.ONGO": "N", "I.CM.ENDAT": day(-6)})   # 20 mg
    _cm(session, subject, 2, **{"I.CM.STDAT": day(-5), "I.CM.ONGO": "N", "I.CM.ENDAT": day(-2), "I.CM.DOSE": "10"})
    course = steroid_course.subject_treatment_course(session, subject)
    assert course.infusion == date.fromisoformat(day(-10))
    gcis = [(r.study_day, r.point.prednisone_mg, r.point.mg_per_kg, r.on, r.stopped) for r in course.rows
            if r.source == "F.GCIS"]
    assert gcis == [(-2, 30.0, 0.5, ("Mycophenolate mofetil (MMF)", "Tacrolimus"), ()),
                    (7, 15.0, 0.25, ("Mycophenolate mofetil (MMF)",), ("Tacrolimus",)),
                    (10, 0.0, 0.0, (), ("Mycophenolate mofetil (MMF)",))]
    assert course.stops == {"Tacrolimus": date.fromisoformat(day(-3)),
                            "Mycophenolate mofetil (MMF)": date.fromisoformat(day(0))}
    cm = [(p.study_day, p.prednisone_mg) for p in course.points if p.source == "F.CM"]
    assert cm == [(-2, 20.0), (5, 10.0), (9, 0.0)]  # start, the next step, the day after the last end
    points = steroid_course.subject_steroid_course(session, subject)
    assert points == course.points and [p.date for p in points] == sorted(p.date for p in points)


def test_mg_per_kg_uses_the_weight_measured_by_then(session, subject):
    save(session, subject, "F.VS", vs_values(**{"I.VS.DTC": f"{day(-1)}T09:00", "I.VS.WEIGHT": "50"}),
         event_oid="SE.D9")
    _gcis(session, subject, "SE.M2", -12, "30")  # before the 50 kg: the 60 kg of the infusion is the first after
    _gcis(session, subject, "SE.M3", 0, "30")
    per_kg = [r.point.mg_per_kg for r in steroid_course.subject_treatment_course(session, subject).rows]
    assert per_kg == [0.5, 0.6]


def test_one_statement_whatever_the_number_of_entries(session, subject):
    _gcis(session, subject, "SE.M2", -12, "30")
    session.expire_all()
    with statements(session) as few:
        steroid_course.subject_treatment_course(session, subject)
    for n, event_oid in enumerate(("SE.M3", "SE.M6", "SE.M9", "SE.M12")):
        _gcis(session, subject, event_oid, -10 + n, str(25 - 5 * n))
    for n in range(1, 6):
        _cm(session, subject, n, **{"I.CM.STDAT": day(-10 + n), "I.CM.ONGO": "N", "I.CM.ENDAT": day(-9 + n)})
    session.expire_all()
    with statements(session) as many:
        course = steroid_course.subject_treatment_course(session, subject)
    assert len(course.rows) > 8 and len(many) == len(few) <= 2  # the subject's site may be loaded once


def test_a_subject_without_entries_has_an_empty_course(session, world):
    subject = new_subject(session)
    course = steroid_course.subject_treatment_course(session, subject)
    assert (course.infusion, course.points, course.rows, course.stops) == (None, [], [], {})


def test_pure_course_without_infusion_has_no_study_days():
    from zoneinfo import ZoneInfo

    when = (date.today() - timedelta(days=3)).isoformat()
    values = {"I.GCIS.DAT": when, "I.GCIS.GCYN": "true", "I.GCIS.GCDRUG": "prednisone", "I.GCIS.GCDOSE": "10",
              "I.GCIS.GCPREDEQ": "10"}
    course = steroid_course.course([("F.GCIS", values)], ZoneInfo("UTC"))
    [point] = course.points
    assert (point.study_day, point.prednisone_mg, point.mg_per_kg, point.source) == (None, 10.0, None, "F.GCIS")
