"""The demo seed (``ecrf demo``, ``ecrf seed-demo``): subjects at every stage and, through the real services, work
on each study role's first screen: queries in each state (one re-opened, one raised by an edit check), verified
and changed-since-verified data, a valid and a broken signature, a locked and a frozen form."""
from __future__ import annotations

import re

import pytest
from helpers import PASSWORD, Browser
from sqlalchemy import select

ROLES = ("investigator", "coordinator", "monitor", "data_manager", "sponsor")


@pytest.fixture
def seeded(app):
    from ecrf.demo import seed
    from ecrf.infra.extensions import db

    with app.app_context():
        assert seed(PASSWORD)
        db.session.remove()
    return app


@pytest.fixture
def demo(seeded):
    from ecrf.auth.models import Site
    from ecrf.infra.extensions import db

    with seeded.app_context():
        yield db.session, db.session.scalar(select(Site).where(Site.code == "01"))
        db.session.rollback()


def _subject(session, key):
    from ecrf.subjects.models import Subject

    return session.scalar(select(Subject).where(Subject.key == key))


def test_the_demo_has_a_query_in_each_state_one_reopened_and_one_raised_by_an_edit_check(demo):
    from ecrf.queries.counts import study_counts
    from ecrf.queries.models import SYSTEM, Query

    session, site = demo
    counts = study_counts(session, {site.id})
    assert all(counts.by_state[state] >= 1 for state in ("open", "answered", "closed", "cancelled")), counts
    queries = session.scalars(select(Query)).all()
    reopened = [q for q in queries if "reopen" in [m.step for m in q.messages]]
    assert reopened and reopened[0].state == "open"
    system = [q for q in queries if q.raised_role == SYSTEM]
    assert system and system[0].state == "open" and system[0].check_id == "VS.TEMP_PLAUSIBLE"
    assert system[0].form.event.subject.key == "01-S005"
    closed = next(q for q in queries if q.state == "closed")
    assert [(m.step, m.role) for m in closed.messages] == [("raise", "monitor"), ("answer", "coordinator"),
                                                           ("close", "monitor")]


def test_the_demo_has_verified_data_a_change_since_verification_and_data_still_to_verify(demo):
    from ecrf.sdv.progress import by_subject

    session, site = demo
    counts = by_subject(session, {site.id})
    follow = counts[_subject(session, "01-S004").id]
    assert follow.verified > 0 and follow.changed >= 1 and follow.pending > 0
    assert sum(c.pending for c in counts.values()) > follow.pending  # other subjects wait entirely


def test_the_demo_has_a_valid_and_a_broken_signature(demo):
    from ecrf.auth.models import User
    from ecrf.signatures.services import broken, of_subject, verify

    session, site = demo
    casebook = [s for s in of_subject(session, _subject(session, "01-S006")) if s.scope == "casebook"]
    assert casebook and casebook[0].valid and verify(session, casebook[0])
    (hit,) = broken(session, {site.id})
    assert hit.subject.key == "01-S005" and hit.scope == "visit" and hit.event_oid == "SE.D1"
    assert session.get(User, hit.broken_by_id).username == "coordinator"


def test_the_demo_has_a_locked_form_and_a_frozen_casebook(demo):
    from ecrf.capture import locks
    from ecrf.capture import services as capture

    session, site = demo
    follow = _subject(session, "01-S004")
    levels = {(lock.scope, lock.level) for lock in locks.visible(session, {site.id}, active_only=True)}
    assert levels == {("form", "locked"), ("subject", "frozen")}

    def state(event_oid, form_oid="F.VS"):
        return locks.form_state(session, capture.find_form(session, capture.resolve(follow, event_oid, form_oid)))
    assert state("SE.SCREENING") is locks.LockState.LOCKED
    assert state("SE.D1") is locks.LockState.FROZEN
    assert state("SE.M2") is locks.LockState.OPEN  # after day 28: the open queries there can be answered


def test_each_step_is_attributed_to_its_demo_user_in_the_audit_trail(demo):
    from ecrf.audit.models import AuditEvent

    session, _ = demo
    who = {(e.entity, e.username) for e in session.scalars(select(AuditEvent))}
    for entity, username in (("item_query", "monitor"), ("item_query", "data_manager"),
                             ("item_query_message", "coordinator"), ("item_verification", "monitor"),
                             ("item_verification", "coordinator"),  # a change resets the verification
                             ("signature", "investigator"), ("signature", "coordinator"),  # signed, broken
                             ("data_lock", "data_manager"), ("item_data", "coordinator")):
        assert (entity, username) in who, (entity, username, sorted(who))


def _dashboard(app, username) -> str:
    browser = Browser(app.test_client())
    assert browser.login(username, PASSWORD).status_code == 302
    response = browser.get("/dashboard")
    assert response.status_code == 200, username
    return response.get_data(as_text=True)


def _cells(html: str, testid: str) -> list[str]:
    row = re.search(rf'data-testid="{re.escape(testid)}">(.*?)</tr>', html, re.S)
    assert row, testid
    return re.findall(r'<td class="text-end">([^<]*)</td>', row.group(1))


def test_each_role_of_the_demo_finds_work_on_its_first_screen(seeded):
    pages = {role: _dashboard(seeded, role) for role in ROLES}
    for role in ("investigator", "coordinator"):
        html = pages[role]
        assert 'data-testid="open-queries"' in html and "I.VS.HR" in html, role
        assert int(re.search(r'data-testid="open-queries-count">(\d+)<', html).group(1)) >= 2
    assert int(re.search(r'data-testid="broken-signatures-count">(\d+)<', pages["investigator"]).group(1)) == 1
    monitor = pages["monitor"]
    pending, changed, _ = _cells(monitor, "monitor-subject-01-S004")
    assert int(pending) > 0 and int(changed) >= 1
    assert 'data-testid="monitor-sdv-worklist"' in monitor
    manager = pages["data_manager"]
    assert 'data-testid="dm-locks"' in manager and 'data-testid="dm-broken"' in manager and "01-S005" in manager
    sponsor = pages["sponsor"]
    assert re.search(r'data-testid="enrolment">[1-9]\d* of \d+ enrolled', sponsor)
    assert "01-S00" not in sponsor  # counts, never a participant's casebook


def test_seeding_again_adds_nothing(seeded):
    from ecrf.demo import seed
    from ecrf.infra.extensions import db
    from ecrf.queries.models import Query
    from ecrf.signatures.models import Signature

    with seeded.app_context():
        before = (len(db.session.scalars(select(Query)).all()), len(db.session.scalars(select(Signature)).all()))
        seed(PASSWORD)
        after = (len(db.session.scalars(select(Query)).all()), len(db.session.scalars(select(Signature)).all()))
        db.session.remove()
    assert before == after


def test_the_demo_has_a_crs_episode_graded_from_its_components_with_its_adverse_events(demo):
    from ecrf.capture.facts import event_values
    from ecrf.queries.models import SYSTEM, Query

    session, _ = demo
    subject = _subject(session, "01-S005")
    visits = event_values(session, subject.id, ["SE.D1", "SE.D2"])
    # day 1 fever; day 2 afebrile after paracetamol with hypotension and low-flow oxygen: grade 2 (fever earlier)
    assert visits["SE.D1"]["I.CRS.GRADE"] == "1" and visits["SE.D1"]["I.CRS.FEVER"] == "true"
    assert visits["SE.D2"]["I.CRS.GRADE"] == "2" and visits["SE.D2"]["I.CRS.FEVER"] == "false"
    assert visits["SE.D2"]["I.ICANS.GRADE"] == "1"
    # each episode names its adverse event and the treatment is on the medication log: nothing is queried
    checks = set(session.scalars(select(Query.check_id).where(Query.raised_role == SYSTEM)))
    assert not {c for c in checks if c and c.startswith(("CRS.", "ICANS.", "CM."))}
def test_the_demo_has_an_sae_with_its_reports_and_an_open_follow_up(demo):
    from ecrf.safety.saes import list_saes

    session, site = demo
    [sae] = list_saes(session, {site.id}, "sponsor")
    assert sae.subject_key == "01-S005" and sae.term == "Febrile neutropenia"
    assert [r.type for r in sae.reports] == ["INITIAL"]
    from ecrf.study.clock import utcnow

    assert [(c.type, c.state(utcnow())) for c in sae.clocks] == [("INITIAL", "sent"), ("FOLLOWUP", "open")]


def test_the_sentinel_subject_is_followed_to_month_12_and_reaches_doris_remission_at_month_3(demo):
    """Issue 12: the demo holds a subject reaching DORIS remission, with 12 months of data for the charts."""
    from ecrf.charts import series
    from ecrf.charts.data import BCELL_RECOVERY, DORIS
    from ecrf.efficacy.timeline import subject_efficacy

    session, site = demo
    subject = _subject(session, "01-S004")
    found = subject_efficacy(session, subject)
    by_event = {v.event_oid: v for v in found.visits}
    assert {"SE.SCREENING", "SE.M3", "SE.M12"} <= set(by_event)
    assert by_event["SE.SCREENING"].sledai == 14 and by_event["SE.M3"].csledai == 0
    assert by_event["SE.M2"].doris.met is False and by_event["SE.M3"].doris.met is True
    assert by_event["SE.M3"].sri4.met is True
    assert found.first_doris_day == 90 and found.bcell.aplasia_day == 7 and found.bcell.recovery_day == 270
    assert found.cart.peak_day == 7 and found.cart.persistence == {"M3": True, "M6": True, "M12": False}
    # the charts: month 12 on the subject's SLEDAI-2K series; DORIS and B-cell recovery on the swimmer lane
    charts = series.for_subject(session, subject, "sponsor")
    assert max(p.day for p in charts.get("sledai").points) == 365
    subjects = session.scalars(select(type(subject)).where(type(subject).site_id == site.id)).all()
    lane = next(lane for lane in series.cohort(session, subjects, "sponsor").lanes if lane.subject_id == subject.id)
    assert {(m.kind, m.day) for m in lane.markers} >= {(DORIS, 90), (BCELL_RECOVERY, 270)}
