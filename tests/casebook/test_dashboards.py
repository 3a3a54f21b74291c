"""Dashboards: what each role's first screen counts, and a statement count that does not grow with subjects."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, select

from ecrf.auth.models import Site
from ecrf.casebook import dashboards
from tests.helpers import new_subject, save, vs_values


@contextmanager
def statements(session):
    seen: list[str] = []

    def listener(conn, cursor, statement, *rest):
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def _site_ids(session, *codes):
    return set(session.scalars(select(Site.id).where(Site.code.in_(codes))))


def _screened(session, n: int):
    subjects = []
    for _ in range(n):
        subject = new_subject(session, "01")
        save(session, subject, "F.VS", vs_values(**{"I.VS.DTC": "2026-11-02T09:00"}))
        subjects.append(subject)
    return subjects


def test_a_screening_visit_that_took_place_lists_its_missing_required_forms(session, world):
    subject, = _screened(session, 1)
    work = dashboards.site_work(session, _site_ids(session, "01"))
    gaps = {(g.subject.key, g.event_oid, g.form_oid, g.state) for g in work.gaps}
    assert (subject.key, "SE.SCREENING", "F.VS", "missing") not in gaps
    assert any(key == subject.key and ev == "SE.SCREENING" and st == "missing" for key, ev, _, st in gaps)
    assert len(work.missing) + len(work.incomplete) == len(work.gaps)
    # the other site sees none of it
    assert dashboards.site_work(session, _site_ids(session, "02")).gaps == []


def test_completeness_counts_required_forms_of_visits_that_took_place(session, world):
    _screened(session, 2)
    figures = dashboards.completeness(session)
    assert figures.expected > 0
    assert 2 <= figures.complete < figures.expected
    assert 0 < figures.percent < 100


def test_enrolment_is_counted_against_the_cohort_of_18(session, world):
    _screened(session, 2)
    figures = dashboards.enrolment(session)
    assert figures.target == 18
    assert figures.screened == 2 and figures.enrolled == 0 and figures.by_month == []
    assert figures.by_status["screening"] == 2


def test_statement_count_does_not_grow_with_subjects(session, world):
    sites = _site_ids(session, "01")

    def count() -> int:
        session.expunge_all()
        with statements(session) as seen:
            dashboards.site_work(session, sites)
            dashboards.completeness(session, sites)
            dashboards.enrolment(session, sites)
        return len(seen)

    _screened(session, 3)
    at_three = count()
    _screened(session, 27)
    assert count() == at_three
