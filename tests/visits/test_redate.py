"""Stored visit dates brought to the declared-item rule (ecrf.visits.redate, migration 13vd): corrected, each change
audited by the system with its reason, and the audit chain still verifies."""
from __future__ import annotations

import json
from datetime import date, timedelta

from cell_therapy import infusion_values, ready_for_infusion
from helpers import consent, enrolled_subject, new_subject, save
from sqlalchemy import create_engine, select

TODAY = date.today()
DIAGNOSED = date(2018, 3, 15)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def _events(session, subject) -> dict[str, date | None]:
    from ecrf.capture.models import StudyEventData

    session.expire_all()
    return {e.event_oid: e.actual_date for e in session.scalars(
        select(StudyEventData).where(StudyEventData.subject_id == subject.id))}


def _as_the_old_rule_left_it(session, subject, wrong: dict[str, date]) -> None:
    """Dates as the earliest-date rule stored them (written through the ORM, so audited like any change)."""
    from ecrf.capture.models import StudyEventData

    for row in session.scalars(select(StudyEventData).where(StudyEventData.subject_id == subject.id)):
        if row.event_oid in wrong:
            row.actual_date = wrong[row.event_oid]
    session.commit()


def _screened_and_infused(session):
    """One subject screened 40 days ago (SLE diagnosed in 2018) and infused 3 days ago (weighed 9 days ago)."""
    subject = enrolled_subject(session)
    save(session, subject, "F.SV", {"I.SV.STDAT": ago(35).isoformat()})
    save(session, subject, "F.SLEHX", {"I.SLEHX.DIAGDAT": DIAGNOSED.isoformat(), "I.SLEHX.ANATITRE": "320"})
    ready_for_infusion(session, subject, ld1=-8)
    save(session, subject, "F.INF", infusion_values(on=-3, **{"I.INF.WEIGHTDAT": ago(9).isoformat()}),
         event_oid="SE.D0")
    return subject


def test_redate_corrects_old_dates_audits_each_and_the_chain_verifies(session, world):
    from ecrf.audit import chain
    from ecrf.audit.models import AuditEvent
    from ecrf.study.words import render
    from ecrf.visits.redate import redate

    subject = _screened_and_infused(session)
    other = new_subject(session, consented=False)  # a visit with only a sample date: no visit date at all
    consent(session, other, when=f"{ago(20).isoformat()}T08:00")
    save(session, other, "F.HEM", {"I.HEM.DTC": f"{ago(18).isoformat()}T09:00"})
    right = _events(session, subject)
    assert (right["SE.SCREENING"], right["SE.D0"]) == (ago(35), ago(3))
    _as_the_old_rule_left_it(session, subject, {"SE.SCREENING": DIAGNOSED, "SE.D0": ago(9)})
    _as_the_old_rule_left_it(session, other, {"SE.SCREENING": ago(18)})
    seq_before = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))

    changes = redate(session.connection(), "test-run")
    session.commit()

    assert sorted((c.entity_key, c.old, c.new) for c in changes) == sorted([
        (f"{subject.key}/SE.SCREENING[1]", DIAGNOSED, ago(35)), (f"{subject.key}/SE.D0[1]", ago(9), ago(3)),
        (f"{other.key}/SE.SCREENING[1]", ago(18), None)])
    assert _events(session, subject) == right
    assert _events(session, other)["SE.SCREENING"] is None
    records = session.scalars(select(AuditEvent).where(AuditEvent.seq > seq_before).order_by(AuditEvent.seq)).all()
    assert len(records) == 3
    screening = next(r for r in records if r.entity_key == f"{subject.key}/SE.SCREENING[1]")
    assert (screening.username, screening.role, screening.user_id, screening.action, screening.entity) == (
        "system", "system", None, "update", "study_event_data")
    assert (screening.subject_key, screening.site_code, screening.event_oid) == (subject.key, "01", "SE.SCREENING")
    assert json.loads(screening.old_value) == {"actual_date": "2018-03-15"}
    assert json.loads(screening.new_value) == {"actual_date": ago(35).isoformat()}
    assert json.loads(screening.reason) == {"code": "VISIT_DATE_RULE", "revision": "test-run"}
    assert "the visit-date rule changed" in render(screening.reason)
    assert chain.verify(session.connection()).ok
    assert redate(session.connection(), "again") == []  # idempotent: nothing left to correct, nothing audited


def test_migration_13vd_recomputes_the_stored_visit_dates(app, db_url, session, world):
    """The real migration: data stored under the old rule, the database taken back to 12sae, then upgraded."""
    from alembic import command

    from ecrf.audit import chain
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.migrate import alembic_config, upgrade

    subject = _screened_and_infused(session)
    _as_the_old_rule_left_it(session, subject, {"SE.SCREENING": DIAGNOSED, "SE.D0": ago(9)})
    key = subject.key
    session.close()
    engine = create_engine(db_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "12sae")
        upgrade(engine)
        with engine.connect() as connection:
            reasons = connection.execute(select(AuditEvent.reason, AuditEvent.entity_key)
                                         .where(AuditEvent.reason.contains("VISIT_DATE_RULE"))).all()
            assert chain.verify(connection).ok
    finally:
        engine.dispose()
    dates = _events(session, session.merge(subject))
    assert (dates["SE.SCREENING"], dates["SE.D0"]) == (ago(35), ago(3))
    assert sorted(k for _, k in reasons) == [f"{key}/SE.D0[1]", f"{key}/SE.SCREENING[1]"]
    assert {json.loads(r)["revision"] for r, _ in reasons} == {"13vd"}
