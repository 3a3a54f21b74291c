"""The migrated schema equals the models (no autogenerate diff), on the engine under test."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from ecrf.infra.db import Base
from ecrf.infra.migrate import alembic_config, upgrade


def test_migrations_create_exactly_the_models(databases):
    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert diff == []
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        engine.dispose()
        databases.drop(url)


def test_there_is_one_migration_head():
    assert len(ScriptDirectory.from_config(alembic_config()).get_heads()) == 1


def test_downgrade_to_base_and_up_again(databases):
    from alembic import command

    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert "audit_event" not in inspect(engine).get_table_names()
        upgrade(engine)
        assert "audit_event" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
        databases.drop(url)


def test_named_check_constraints_survive_the_migrations(databases):
    """SQLite rebuilds tables for ALTER; the CHECK constraints the models name must still be there."""
    from sqlalchemy import CheckConstraint

    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine)
        inspector = inspect(engine)
        for table in Base.metadata.sorted_tables:
            wanted = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
            found = {c["name"] for c in inspector.get_check_constraints(table.name)}
            assert wanted <= found, (table.name, wanted - found)
    finally:
        engine.dispose()
        databases.drop(url)


OLD_SNAPSHOT = [  # as confirm_eligibility stored it before codes (revision 0005)
    {"code": "IN1", "label": "Age >= 5 years at consent", "status": "met", "value": "age 30 y at consent 2026-11-01",
     "missing": []},
    {"code": "IN5", "label": "LVEF >= 55 % and no obvious ECG abnormality", "status": "missing",
     "value": "LVEF missing; ECG normal", "missing": ["I.CARDIO.LVEF"]},
    {"code": "EX", "label": "No exclusion criterion", "status": "met", "value": "", "missing": []},
]


def _trial_rows(connection, snapshots):
    """A site, an investigator, a subject and one eligibility review per snapshot text, at the 0005 schema."""
    from datetime import datetime, timezone

    from sqlalchemy import insert

    now = datetime(2026, 11, 2, 8, tzinfo=timezone.utc)
    tables = Base.metadata.tables
    connection.execute(insert(tables["site"]).values(id=1, code="01", name="Site one", timezone="Asia/Shanghai",
                                                     created_at=now))
    connection.execute(insert(tables["user_account"]).values(
        id=1, username="investigator", full_name="I", role="investigator", is_active_account=True, failed_logins=0,
        created_at=now))
    connection.execute(insert(tables["subject"]).values(id=1, site_id=1, key="01-S001", status="screening",
                                                        created_at=now))
    for n, snapshot in enumerate(snapshots, start=1):
        connection.execute(insert(tables["eligibility_review"]).values(
            id=n, subject_id=1, reviewed_by_id=1, reviewed_at=now, eligible=False, overridden="", snapshot=snapshot))


def test_0006_turns_english_snapshots_into_codes_and_audits_each_rewrite(databases):
    import json

    from sqlalchemy import select

    from ecrf.audit import chain
    from ecrf.audit.models import AuditEvent
    from ecrf.enrolment.eligibility import read_snapshot
    from ecrf.enrolment.models import EligibilityReview
    from ecrf.study.words import render

    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as connection:
            _trial_rows(connection, [json.dumps(OLD_SNAPSHOT), "not json at all", "[]"])
        upgrade(engine)
        with engine.connect() as connection:
            snapshots = dict(connection.execute(select(EligibilityReview.id, EligibilityReview.snapshot)).all())
            audit = connection.execute(select(AuditEvent)).all()
            assert chain.verify(connection).ok
        assert json.loads(snapshots[1]) == [
            {"code": "IN1", "status": "met", "message": {"code": "legacy", "text": "age 30 y at consent 2026-11-01"},
             "missing": []},
            {"code": "IN5", "status": "missing", "message": {"code": "legacy", "text": "LVEF missing; ECG normal"},
             "missing": ["I.CARDIO.LVEF"]},
            {"code": "EX", "status": "met", "message": None, "missing": []},
        ]
        assert [render(c.message) for c in read_snapshot(snapshots[1])] == [
            "age 30 y at consent 2026-11-01", "LVEF missing; ECG normal", ""]
        assert (snapshots[2], snapshots[3]) == ("not json at all", "[]")  # nothing it could read: left as it was
        assert [(r.action, r.entity, r.entity_id, r.subject_key, r.site_code, r.username) for r in audit] == [
            ("update", "eligibility_review", "1", "01-S001", "01", "system")]
        assert json.loads(audit[0].old_value) == {"snapshot": json.dumps(OLD_SNAPSHOT)}
        assert json.loads(audit[0].new_value) == {"snapshot": snapshots[1]}
        assert json.loads(audit[0].reason) == {"code": "FORMAT_MIGRATED", "revision": "0006"}
        assert render(audit[0].reason) == "Stored text rewritten in a new format by migration 0006"
    finally:
        engine.dispose()
        databases.drop(url)


def test_0006_downgrade_gives_english_sentences_back(databases):
    import json

    from alembic import command
    from sqlalchemy import select

    from ecrf.enrolment.models import EligibilityReview

    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine, "0005")
        with engine.begin() as connection:
            _trial_rows(connection, [json.dumps(OLD_SNAPSHOT)])
        upgrade(engine)
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "0005")
        with engine.connect() as connection:
            back = json.loads(connection.execute(select(EligibilityReview.snapshot)).scalar_one())
        assert back == OLD_SNAPSHOT
    finally:
        engine.dispose()
        databases.drop(url)
