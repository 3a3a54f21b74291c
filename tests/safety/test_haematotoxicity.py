"""A subject's ICAHT from the stored F.HEM counts relative to the infusion: units converted (x10^9/L -> /µL),
study days from the site-local dates, one statement whatever the number of samples, "cannot grade: <why>"."""
from __future__ import annotations

import pytest
from cell_therapy import day, infused
from helpers import enrolled_subject, new_subject, save, statements

from ecrf.safety import haematotoxicity
from ecrf.study import clock


def _hem(neut: str, plat: str, on: int) -> dict:
    return {"I.HEM.DTC": f"{day(on)}T08:00", "I.HEM.WBC": "2.1", "I.HEM.NEUT": neut, "I.HEM.LYM": "0.4",
            "I.HEM.HGB": "105", "I.HEM.PLAT": plat, "I.HEM.CLSIG": "false"}




@pytest.fixture
def subject(session, world):
    subject = enrolled_subject(session)
    infused(session, subject, on=-10)  # day 0 ten days ago: day 10 today
    return subject


def test_cannot_grade_before_the_infusion_or_without_counts(session, world, subject):
    waiting = new_subject(session)
    result = haematotoxicity.subject_icaht(session, waiting)
    assert result.problem == "no CAR-T infusion recorded yet"
    assert haematotoxicity.summary(result) == [("ICAHT", "cannot grade: no CAR-T infusion recorded yet")]
    assert haematotoxicity.subject_icaht(session, subject).problem == "no neutrophil or platelet counts recorded"


def test_early_grades_from_the_visits_after_infusion(session, subject):
    # ANC 0.30 x10^9/L = 300/µL on days 1-9 (9 days <= 500: grade 2); platelets 45 x10^9/L (9 days < 50: grade 2)
    for n in range(1, 10):
        save(session, subject, "F.HEM", _hem("0.3", "45", -10 + n), event_oid=f"SE.D{n}")
    save(session, subject, "F.HEM", _hem("2.5", "250", -17), event_oid="SE.PRELD")  # day -7, before LD
    result = haematotoxicity.subject_icaht(session, subject)
    early, late = result.neutrophils
    # days 1-9, and up to today (day 10, or 11 where the site's clock is past midnight) from the day-9 count;
    # the later days of the window have not happened: provisional
    today = (clock.today_at(subject.site.zone) - result.infusion).days
    assert (early.grade, early.days_below, early.unknown_days) == (2, {500: today, 100: 0}, 30 - today)
    assert early.provisional and late.grade is None and late.problem == "no neutrophil count after day 30"
    assert result.platelets[0].grade == 2 and result.platelets[0].days_below == {50: today, 20: 0}
    lines = dict(haematotoxicity.summary(result))
    early_line = lines["Neutrophils (N-ICAHT), early (day 0-30)"]
    assert early_line.startswith(f"grade 2 (ANC ≤500/µL on {today} d, ANC ≤100/µL on 0 d)")
    assert "provisional" in lines["Neutrophils (N-ICAHT), early (day 0-30)"]
    assert lines["Platelets (T-ICAHT), late (after day 30)"] == "cannot grade: no platelet count after day 30"


@pytest.mark.parametrize(("neut", "grade"), [("0.5", 1), ("0.51", 0), ("0.1", 1)])
def test_the_unit_is_converted_at_the_500_boundary(session, subject, neut, grade):
    save(session, subject, "F.HEM", _hem(neut, "150", -9), event_oid="SE.D1")
    save(session, subject, "F.HEM", _hem("3.0", "150", -8), event_oid="SE.D2")
    assert haematotoxicity.subject_icaht(session, subject).neutrophils[0].grade == grade


def test_one_statement_whatever_the_number_of_samples(session, subject):
    save(session, subject, "F.HEM", _hem("0.3", "45", -9), event_oid="SE.D1")
    session.expire_all()
    with statements(session) as few:
        haematotoxicity.subject_icaht(session, subject)
    for n in range(2, 10):
        save(session, subject, "F.HEM", _hem("0.3", "45", -10 + n), event_oid=f"SE.D{n}")
    session.expire_all()
    with statements(session) as many:
        result = haematotoxicity.subject_icaht(session, subject)
    assert result.samples == 9 and len(many) == len(few) <= 2  # the subject's site may be loaded once
