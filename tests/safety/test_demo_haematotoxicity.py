"""The demo (ecrf demo) shows ICAHT and a glucocorticoid taper with an immunosuppressant stop on its casebook
pages, from counts and medications entered through capture."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import PASSWORD
from sqlalchemy import select


@pytest.fixture
def demo(app):
    from ecrf.demo import seed
    from ecrf.infra.extensions import db

    with app.app_context():
        assert seed(PASSWORD)
        yield db.session
        db.session.rollback()


def _subject(session, key):
    from ecrf.subjects.models import Subject

    return session.scalar(select(Subject).where(Subject.key == key))


def test_the_demo_subjects_have_icaht_grades_and_a_steroid_taper(demo):
    from ecrf.safety import haematotoxicity
    from ecrf.treatment import steroid_course

    follow = haematotoxicity.subject_icaht(demo, _subject(demo, "01-S004"))
    early, late = follow.neutrophils
    # ANC <= 500 on days 1-3, the day-3 count standing to day 6, 900 on day 7: 6 days, grade 1; the demo has no
    # counts from day 15 to day 27 (nor before day 1): provisional
    assert (early.grade, early.days_below[500], early.provisional) == (1, 6, True)
    assert late.grade == 1  # months 2 and 3 at 1.4 and 1.3 x10^9/L, then 2.1 to 2.9
    assert haematotoxicity.subject_icaht(demo, _subject(demo, "01-S005")).neutrophils[0].days_below[100] >= 2
    course = steroid_course.subject_treatment_course(demo, _subject(demo, "01-S004"))
    taper = [p.prednisone_mg for p in course.points if p.source == "F.CM"]
    assert taper == [20.0, 10.0, 5.0, 2.5, 0]  # prednisolone tapered to none from month 9
    from ecrf.demo import FOLLOW_INFUSED

    # mycophenolate until lymphodepletion: first seen stopped at the day-28 assessment
    assert course.stops == {"Mycophenolate mofetil (MMF)": date.today() - timedelta(days=FOLLOW_INFUSED - 28)}
