"""Dashboards: what each role's first screen counts, and a statement count that does not grow with subjects."""
from __future__ import annotations

from helpers import statements
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.casebook import dashboards
from tests.helpers import consent, new_subject, save, vs_values


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


# -- the role boards, with monitoring data in them -----------------------------------------------------------------

def _user(session, username):
    from ecrf.auth.models import User

    return session.scalar(select(User).where(User.username == username))


def _monitoring(session, subject):
    """A query, a verified form with a value changed since, a broken signature and a site freeze on ``subject``."""
    from ecrf.capture import locks
    from ecrf.capture import services as capture
    from ecrf.queries import services as queries
    from ecrf.sdv import services as sdv
    from ecrf.signatures import services as signatures
    from ecrf.signatures.coverage import Scope
    from tests.helpers import PASSWORD

    t = capture.resolve(subject, "SE.SCREENING", "F.VS")
    queries.raise_query(session, t, "I.VS.HR", "Please confirm the heart rate against the source.",
                        _user(session, "monitor"))
    form = capture.find_form(session, t)
    sdv.verify_form(session, form, subject, t.form, _user(session, "monitor"))
    meaning = "I approve the data in this casebook as accurate and complete"
    signatures.sign(session, _user(session, "investigator"), subject, Scope.casebook(), meaning, meanings=(meaning,),
                    password=PASSWORD, despite_missing=True)
    session.commit()
    save(session, subject, "F.VS", vs_values(**{"I.VS.DTC": "2026-11-02T09:00", "I.VS.HR": "75"}),
         reason_code="TRANSCRIPTION")
    locks.close(session, _user(session, "data_manager"), scope="subject", level="frozen", reason="interim look",
                subject=subject, up_to_event_oid="SE.SCREENING")
    session.commit()


def test_boards_show_the_monitoring_work(session, world):
    subject, _ = _screened(session, 2)
    _monitoring(session, subject)
    sites = _site_ids(session, "01")
    site = dashboards.site_staff_board(session, sites, signs=True)
    assert site.queries.open == 1 and [q.subject for q in site.open_queries] == [subject.key]
    assert [s.subject.key for s in site.broken_signatures] == [subject.key]
    monitor = dashboards.monitor_board(session, sites)
    assert monitor.sdv_by_subject[subject.id].changed == 1
    assert monitor.queries_by_subject[subject.id].open == 1
    assert any(w.subject_id == subject.id for w in monitor.sdv_worklist)
    manager = dashboards.data_manager_board(session, sites)
    assert manager.ageing["0-7"] == 1 and sum(manager.ageing.values()) == 1
    assert len(manager.locks) == 1 and manager.broken_signatures
    sponsor = dashboards.sponsor_board(session, sites)
    assert sponsor.queries.open == 1 and sponsor.sdv.changed == 1 and sponsor.enrolment.screened == 2
    # another site's people see none of it
    other = _site_ids(session, "02")
    assert dashboards.site_staff_board(session, other, signs=True).queries.open == 0
    assert dashboards.data_manager_board(session, other).locks == []


def test_board_statements_are_the_same_at_3_and_at_300_subjects(session, world):
    from ecrf.subjects.services import create_subject

    sites = _site_ids(session, "01")
    first = _screened(session, 3)
    _monitoring(session, first[0])

    def count() -> int:
        session.expunge_all()
        with statements(session) as seen:
            dashboards.site_staff_board(session, sites, signs=True)
            dashboards.monitor_board(session, sites)
            dashboards.data_manager_board(session, sites)
            dashboards.sponsor_board(session, sites)
        return len(seen)

    at_three = count()
    site = session.scalar(select(Site).where(Site.code == "01"))
    more = [create_subject(session, site) for _ in range(297)]
    session.commit()
    for subject in more[:20]:  # some with data, the rest only registered
        consent(session, subject)
        save(session, subject, "F.VS", vs_values(**{"I.VS.DTC": "2026-11-02T09:00"}))
    _monitoring(session, more[0])
    assert count() == at_three


# -- the web face ----------------------------------------------------------------------------------------------------

import pytest  # noqa: E402

from tests.conftest import ROLES  # noqa: E402


@pytest.fixture
def monitored(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        from ecrf.audit.context import Actor, set_actor

        set_actor(db.session, Actor(None, "test-setup", "system"))
        subject, _ = _screened(db.session, 2)
        _monitoring(db.session, subject)
        key = subject.key
        db.session.remove()
    return key


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_each_study_role_lands_on_its_board(as_role, monitored, role):
    browser = as_role(role)
    home = browser.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/dashboard")
    page = browser.get("/dashboard").get_data(as_text=True)
    expected = {"investigator": 'data-testid="open-queries"', "coordinator": 'data-testid="open-queries"',
                "monitor": f'data-testid="monitor-subject-{monitored}"', "data_manager": 'data-testid="dm-locks"',
                "sponsor": 'data-testid="enrolment"'}[role]
    assert expected in page
    if role == "sponsor":  # counts only: no subject code on the sponsor's board
        assert monitored not in page
    if role == "coordinator":  # only investigators sign
        assert 'data-testid="signature-summary"' not in page


def test_administrators_have_no_board(as_role, world):
    assert as_role("admin").get("/dashboard").status_code == 403


def test_the_casebook_page_shows_the_subjects_queries_and_sdv(as_role, monitored):
    page = as_role("monitor").get(f"/subjects/{monitored}").get_data(as_text=True)
    figures = page.split('data-testid="casebook-monitoring"')[1].split("</p>")[0]
    assert "1 open" in figures and "changed since" in figures
    cell = page.split('data-testid="cell-SE.SCREENING-F.VS"')[1].split("</td>")[0]
    assert 'data-testid="cell-queries"' in cell and ">1 Q<" in cell
