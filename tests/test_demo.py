"""The demo seed (``ecrf demo``, ``ecrf seed-demo``): subjects at every stage and, through the real services, work
on each study role's first screen: queries in each state (one re-opened, one raised by an edit check), verified
and changed-since-verified data, a valid and a broken signature, a locked and a frozen form."""
from __future__ import annotations

import re
from datetime import date

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
    system = [q for q in queries if q.raised_role == SYSTEM and q.check_id == "VS.TEMP_PLAUSIBLE"]
    assert system and system[0].state == "open"
    assert system[0].form.event.subject.key == "01-S005"
    significance = [q for q in queries if q.raised_role == SYSTEM and q.check_id.endswith("_CS")]
    assert {q.state for q in significance} == {"open", "closed"}  # the site marked all but 01-S005's latest
    assert {q.form.event.subject.key for q in significance if q.state == "open"} == {"01-S005"}
    closed = next(q for q in queries if q.state == "closed" and q.raised_role != SYSTEM)
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


# -- the story's dates and stages (issue 13, item 9) ----------------------------------------------------------------

#: dates that are not of the trial's days: history (the SLE diagnosis, the medical history, years before the visit,
#: never its date), the birth date and the ICF version's own date
HISTORY = {"I.SLEHX.DIAGDAT", "I.SLEHX.ONSETDAT", "I.SLEHX.ANADAT", "I.MH.STDAT", "I.MH.ENDAT", "I.DM.BRTHDAT",
           "I.IC.VERDAT"}
PRE_INFUSION = ("SE.SCREENING", "SE.LEUKAPHERESIS", "SE.PRELD", "SE.LD1", "SE.LD2", "SE.LD3")


def _dates(session, subject):
    """Event OID -> the site-local dates of every date and date-time item entered at it (history dates left out)."""
    from ecrf.capture.models import FormData, ItemData, StudyEventData
    from ecrf.study import codec
    from ecrf.study.definition import load
    from ecrf.study.types import DataType

    items = load().items
    out: dict[str, list] = {}
    for event_oid, item_oid, value in session.execute(
            select(StudyEventData.event_oid, ItemData.item_oid, ItemData.value).join(FormData.event)
            .join(ItemData, ItemData.form_id == FormData.id).where(StudyEventData.subject_id == subject.id)):
        item = items.get(item_oid)
        if item is None or item.data_type not in (DataType.DATE, DataType.DATETIME) or item_oid in HISTORY:
            continue
        if (day := codec.local_date(value, subject.site.zone)) is not None:
            out.setdefault(event_oid, []).append(day)
    return out


def _local(moment, subject):
    return moment.astimezone(subject.site.zone).date()


def test_every_subject_s_dates_follow_the_trial_s_path(demo):
    """ICF approval <= consent <= screening <= eligibility confirmation <= enrolment <= leukapheresis <= day -5 <
    infusion < follow-up visits on their target days (in window), for every subject of the demo, read back."""
    from ecrf.audit.models import AuditEvent
    from ecrf.capture.facts import form_entries
    from ecrf.consent.models import ConsentWithdrawal, IcfVersion
    from ecrf.enrolment.services import latest_review
    from ecrf.study.clock import utcnow
    from ecrf.study.definition import load
    from ecrf.study.schedule import study_day
    from ecrf.subjects.models import Subject

    session, site = demo
    study, tz = load(), site.zone
    approved = {(v.version, v.population): v.approved_on for v in session.scalars(select(IcfVersion))}
    subjects = session.scalars(select(Subject).where(Subject.site_id == site.id).order_by(Subject.key)).all()
    assert len(subjects) >= 10
    for subject in subjects:
        key, dates = subject.key, _dates(session, subject)
        consents = form_entries(session, subject.id, "F.IC")
        if not consents:
            assert not dates, key  # nothing before consent
            continue
        for c in consents:  # each document signed in a version approved before
            assert approved[(c["I.IC.VERSION"], c["I.IC.TYPE"])] <= codec_day(c["I.IC.DTC"], tz), key
        first_consent = min(codec_day(c["I.IC.DTC"], tz) for c in consents)
        assert min(d for days in dates.values() for d in days) >= first_consent, key  # no data before consent
        screening = dates.get("SE.SCREENING", [])
        assert screening and min(screening) >= first_consent, key
        review = latest_review(session, subject)
        if review is not None:
            confirmed = _local(review.reviewed_at, subject)
            assert max(screening) <= confirmed, key
            assert review.reviewed_at <= review.signature.signed_at <= utcnow(), key  # the system's own times
        if subject.enrolled_on is None:
            assert not set(dates) & {"SE.LEUKAPHERESIS", "SE.LD1", "SE.D0"}, key
            continue
        assert review is not None and review.eligible and confirmed <= subject.enrolled_on, key
        leuk = dates.get("SE.LEUKAPHERESIS")
        assert leuk and subject.enrolled_on <= min(leuk), key
        withdrawal = session.scalar(select(ConsentWithdrawal).where(ConsentWithdrawal.subject_id == subject.id))
        if withdrawal is not None:
            assert max(leuk) <= withdrawal.withdrawn_on, key
        if "SE.LD1" not in dates:
            assert "SE.D0" not in dates, key
            continue
        day0 = codec_day(form_entries(session, subject.id, "F.INF")[0]["I.INF.STDTC"], tz)
        assert max(leuk) <= min(dates["SE.LD1"]) < day0, key
        for event_oid, days in dates.items():
            event = study.event(event_oid)
            if event.type == "Common" or event.day is None or event_oid == "SE.SCREENING":
                continue
            for day in days:
                offset = study_day(day, day0)
                assert event.day - event.window_before <= offset <= event.day + event.window_after, (key, event_oid)
                assert (offset > 0) == (event_oid not in (*PRE_INFUSION, "SE.D0")), (key, event_oid)
    # the audit records are written when the demo is seeded: never before the dates of the data they record
    latest = max(d for s in subjects for days in _dates(session, s).values() for d in days)
    first_audit = session.scalar(select(AuditEvent.ts).where(AuditEvent.entity == "item_data").order_by(AuditEvent.seq))
    assert latest <= first_audit.astimezone(tz).date()


def codec_day(value, tz):
    from ecrf.study import codec

    return codec.local_date(value, tz)


def _stage(session, key):
    from ecrf.capture.facts import event_values, form_entries
    from ecrf.enrolment.services import eligibility, latest_review

    subject = _subject(session, key)
    return (subject, eligibility(session, subject), latest_review(session, subject),
            lambda *events: event_values(session, subject.id, list(events)),
            lambda form_oid: form_entries(session, subject.id, form_oid))


def test_each_stage_of_the_trial_s_story_is_in_the_demo(demo):
    from ecrf.study import protocol

    session, _ = demo
    # screening complete, every criterion met, waiting for the investigator (a woman of childbearing potential)
    subject, result, review, values, entries = _stage(session, "01-S001")
    assert subject.status == "screening" and result.all_met and review is None
    assert [(e["I.PREG.SPEC"], e["I.PREG.RES"]) for e in entries("F.PREG")] == [("SERUM", "NEG")]
    assert [e["I.CONTRA.AGREE"] for e in entries("F.CONTRA")] == ["true"]
    # a child: the guardian's permission and his own assent
    subject, result, *_ = _stage(session, "01-S002")
    assert subject.status == "screening" and result["IN11"].status == "met" and result["IN1"].status == "met"
    assert sorted((e["I.IC.TYPE"], e["I.IC.SIGNER"]) for e in _stage(session, "01-S002")[4]("F.IC")) == [
        ("ASSENT", "PARTICIPANT"), ("GUARDIAN", "LAR")]
    assert _subject(session, "01-S003").status == "screen_failed"
    # confirmed eligible, waiting to be enrolled
    subject, result, review, *_ = _stage(session, "01-S008")
    assert subject.status == "screening" and result.all_met and review.eligible and not review.overridden
    # cells collected, waiting for lymphodepletion
    subject, _, _, values, entries = _stage(session, "01-S006")
    assert subject.status == "enrolled" and entries("F.LEUK") and not entries("F.LDDOSE")
    # infused in the DLT window, with a CRS episode
    subject, _, _, values, entries = _stage(session, "01-S005")
    day0 = codec_day(entries("F.INF")[0]["I.INF.STDTC"], subject.site.zone)
    assert subject.status == "infused" and (date.today() - day0).days <= protocol.active().dlt_days
    assert any(e["I.AE.AESITYP"] == "CRS" for e in entries("F.AE"))
    # in follow-up: one to month 12, one at an earlier stage (month 3 done, month 6 in its window)
    subject, _, _, values, entries = _stage(session, "01-S004")
    assert subject.status == "follow_up" and values("SE.M12")["SE.M12"]
    subject, _, _, values, entries = _stage(session, "01-S009")
    seen = values("SE.M3", "SE.M6", "SE.M9")
    assert subject.status == "follow_up" and seen["SE.M3"]["I.SLEDAI.DAT"] and "SE.M9" not in seen
    assert _subject(session, "01-S010").status == "withdrawn"
    # the woman of childbearing potential followed to month 12: her tests and contraception at every visit needing them
    follow = _subject(session, "01-S004")
    tests = {e for e, v in values_of(session, follow).items() if "I.PREG.RES" in v}
    contra = {e for e, v in values_of(session, follow).items() if "I.CONTRA.AGREE" in v}
    months = {"SE.D28", "SE.M2", "SE.M3", "SE.M6", "SE.M9", "SE.M12"}
    assert tests == {"SE.SCREENING", "SE.PRELD", "SE.D0"} | months and contra == {"SE.SCREENING"} | months
    serum = values_of(session, follow)["SE.SCREENING"]["I.PREG.SPEC"]
    assert serum == "SERUM"


def values_of(session, subject):
    from ecrf.capture.facts import event_values
    from ecrf.study.definition import load

    return event_values(session, subject.id, [e.oid for e in load().events])


def test_subject_numbers_follow_the_order_of_enrolment(demo):
    from ecrf.subjects.models import Subject

    session, site = demo
    enrolled = session.scalars(select(Subject).where(Subject.enrolled_on.is_not(None))
                               .order_by(Subject.subject_no)).all()
    assert [s.enrolled_on for s in enrolled] == sorted(s.enrolled_on for s in enrolled)
    assert len(enrolled) == 5 and enrolled[0].key == "01-S004" and enrolled[0].subject_no == "01-001"


def test_a_confirmation_is_dated_when_the_investigator_confirmed_never_in_the_future(demo):
    from datetime import datetime, timedelta, timezone

    from ecrf.auth.models import User
    from ecrf.enrolment import services
    from ecrf.errors import Refused
    from ecrf.study.clock import utcnow

    session, _ = demo
    investigator = session.scalar(select(User).where(User.username == "investigator"))
    subject = _subject(session, "01-S001")  # F.ELIG's own answer waits for the investigator: acknowledged missing
    with pytest.raises(Refused, match="future"):
        services.confirm_eligibility(session, subject, investigator, PASSWORD, [], None,
                                     despite_missing=True, at=utcnow() + timedelta(hours=1))
    session.rollback()
    subject = _subject(session, "01-S001")
    yesterday = datetime.now(timezone.utc) - timedelta(days=1)
    review = services.confirm_eligibility(session, subject, investigator, PASSWORD, [], None,
                                          despite_missing=True, at=yesterday)
    assert review.reviewed_at == yesterday and review.signature.signed_at > yesterday  # the e-signature: now
    review = services.confirm_eligibility(session, subject, investigator, PASSWORD, [], None, despite_missing=True)
    assert review.reviewed_at == review.signature.signed_at  # by default: when it is signed


def test_the_site_staff_see_who_waits_for_eligibility_and_who_waits_to_be_enrolled(seeded):
    for role in ("investigator", "coordinator"):
        html = _dashboard(seeded, role)
        row = re.search(r'data-testid="screening-01-S001">(.*?)</tr>', html, re.S).group(1)
        assert "Eligibility to confirm" in row, role
        assert "Eligible: enrol" in re.search(r'data-testid="screening-01-S008">(.*?)</tr>', html, re.S).group(1)
        # just registered: the screening forms come before the investigator's step
        row = re.search(r'data-testid="screening-01-S007">(.*?)</tr>', html, re.S).group(1)
        assert re.search(r"Screening: \d+ forms to enter", row) and "Eligibility to confirm" not in row, role
        assert 'data-testid="screening-01-S003"' not in html  # a screen failure waits for nothing
        assert int(re.search(r'data-testid="overdue-count">(\d+)<', html).group(1)) >= 1, role
        assert int(re.search(r'data-testid="missing-count">(\d+)<', html).group(1)) >= 1, role


# -- the command line: one password per role, and a database that persists ------------------------------------------

def test_seed_demo_prints_each_role_with_its_own_password_and_the_database_survives_restarts(monkeypatch, tmp_path):
    from click.testing import CliRunner
    from sqlalchemy import text

    from ecrf.app import create_app
    from ecrf.cli import main
    from ecrf.infra.extensions import db

    url = f"sqlite:///{tmp_path / 'serve.sqlite'}"
    monkeypatch.setenv("ECRF_DATABASE_URL", url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "demo-test")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("ECRF_DEMO_PASSWORD", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["init-db"]).exit_code == 0
    seeded = runner.invoke(main, ["seed-demo"])
    assert seeded.exit_code == 0, seeded.output
    logins = dict(re.findall(r"^  (\w+)\s+\1\s+(\S+)$", seeded.output, re.M))  # username, role (the same), password
    assert set(logins) == {"admin", "investigator", "coordinator", "monitor", "data_manager", "sponsor"}
    assert len(set(logins.values())) == len(logins)  # one password per role

    def subjects() -> int:  # what `ecrf serve` serves: the app factory on the configured database
        app = create_app()
        with app.app_context():
            count = db.session.scalar(text("SELECT count(*) FROM subject"))
            db.session.remove()
            db.engine.dispose()
        return count

    before = subjects()
    assert before >= 10 and subjects() == before  # a second start finds the same data
    assert runner.invoke(main, ["init-db"]).exit_code == 0 and subjects() == before  # an upgrade keeps it
    app = create_app()
    assert Browser(app.test_client()).login("monitor", logins["monitor"]).status_code == 302
    with app.app_context():
        db.engine.dispose()
