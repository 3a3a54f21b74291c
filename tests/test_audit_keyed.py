"""The keyed chain: forgeries made without the key are named, the head row is guarded and MAC'd, legacy
(unkeyed) records still verify, and every item value is reconciled with the last record of its row."""
from __future__ import annotations

import json
import stat

import pytest
from helpers import new_subject, save, vs_values
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DatabaseError


def _events():
    from ecrf.audit.models import AuditEvent

    return AuditEvent.__table__


def _trail(session):
    from ecrf.audit.chain import verify

    subject = new_subject(session)
    save(session, subject, "F.VS", vs_values())
    save(session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
    session.commit()
    assert verify(session.connection()).ok
    return subject


def _verify(session):
    from ecrf.audit.chain import verify

    session.commit()
    return verify(session.connection())


def _unkeyed_forgery(session, **changes) -> int:
    """A record appended by raw SQL with a correct-looking SHA-256 hash, and the head moved to it (which the
    head's trigger allows: it points at an existing record)."""
    from ecrf.audit.chain import record_hash

    events = _events()
    last = dict(session.execute(select(events).order_by(events.c.seq.desc()).limit(1)).mappings().one())
    forged = {**last, "seq": last["seq"] + 1, "prev_hash": last["hash"], "action": "update",
              "old_value": last["new_value"], "new_value": "forged", **changes}
    forged["hash"] = record_hash(forged)
    session.execute(events.insert(), [forged])
    session.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": forged["seq"], "h": forged["hash"]})
    session.commit()
    return forged["seq"]


def test_a_record_inserted_with_a_correct_looking_unkeyed_hash_is_named(session, world):
    _trail(session)
    seq = _unkeyed_forgery(session)
    result = _verify(session)
    assert not result.ok and result.first_bad_seq == seq and "does not match its hash" in result.problem


def test_a_hash_made_with_another_key_is_named_and_the_message_asks_for_the_key(session, world):
    from ecrf.audit.chain import verify

    _trail(session)
    result = verify(session.connection(), key=b"not the key")
    assert not result.ok and result.first_bad_seq == 1 and "ECRF_AUDIT_KEY" in result.problem


@pytest.mark.parametrize("statement", [
    "UPDATE audit_head SET hash = '" + "f" * 64 + "'",
    "UPDATE audit_head SET seq = seq - 1",
    "UPDATE audit_head SET seq = seq + 1000, hash = '" + "f" * 64 + "'",
    "UPDATE audit_head SET keyed_from = 1000000",
    "UPDATE audit_head SET mac = NULL",
    "DELETE FROM audit_head",
    "INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, '" + "0" * 64 + "')",
])
def test_a_raw_change_of_the_head_row_is_refused_by_the_database(session, world, statement):
    _trail(session)
    before = session.execute(text("SELECT seq, hash, keyed_from, mac FROM audit_head")).one()
    with pytest.raises(DatabaseError, match="audit_head moves only with the audit chain|constraint"):
        session.execute(text(statement))
    session.rollback()
    assert session.execute(text("SELECT seq, hash, keyed_from, mac FROM audit_head")).one() == before


def test_the_head_row_resists_replace_truncate_and_replica_mode(session, world):
    _trail(session)
    if session.get_bind().dialect.name == "postgresql":
        for statement in ("TRUNCATE audit_head",
                          "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, 'x') "
                          "ON CONFLICT (id) DO UPDATE SET seq = 0"):
            with pytest.raises(DatabaseError, match="audit_head moves only"):
                session.execute(text(statement))
            session.rollback()
        session.execute(text("SET session_replication_role = replica"))
        with pytest.raises(DatabaseError, match="audit_head moves only"):
            session.execute(text("UPDATE audit_head SET seq = 0"))
        session.rollback()
    else:
        with pytest.raises(DatabaseError, match="audit_head moves only"):
            session.execute(text("INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, 0, 'x')"))
        session.rollback()
    assert _verify(session).ok


def _drop_all_triggers(session):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_event_no_update_delete ON audit_event"))
        session.execute(text("DROP TRIGGER audit_head_guard ON audit_head"))
    else:
        for name in ("audit_event_no_update", "audit_event_no_delete", "audit_head_no_insert",
                     "audit_head_no_delete", "audit_head_forward_only"):
            session.execute(text(f"DROP TRIGGER {name}"))
    session.commit()


def test_a_truncated_chain_with_its_head_moved_back_is_detected_by_the_heads_mac(session, world):
    """The owner drops the triggers, deletes the last record and points the head at the one before."""
    _trail(session)
    _drop_all_triggers(session)
    events = _events()
    last = session.scalar(select(func.max(events.c.seq)))
    previous = session.scalar(select(events.c.hash).where(events.c.seq == last - 1))
    session.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": last})
    session.execute(text("UPDATE audit_head SET seq = :s, hash = :h"), {"s": last - 1, "h": previous})
    result = _verify(session)
    assert not result.ok and "MAC" in result.problem


def test_a_raw_update_of_an_item_value_is_named_with_subject_form_item_stored_and_audited(session, world, db_url,
                                                                                       monkeypatch):
    from click.testing import CliRunner

    from ecrf.cli import main

    subject = _trail(session)
    session.execute(text("UPDATE item_data SET value = '55' WHERE item_oid = 'I.VS.HR'"))
    result = _verify(session)
    assert not result.ok and result.count > 0 and result.first_bad_seq is None
    [mismatch] = result.mismatches
    assert (mismatch.subject_key, mismatch.form, mismatch.item_oid, mismatch.stored, mismatch.audited) == (
        subject.key, "SE.SCREENING/F.VS", "I.VS.HR", "55", "80")
    monkeypatch.setenv("ECRF_DATABASE_URL", db_url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "x")
    cli = CliRunner().invoke(main, ["audit", "verify"])
    assert cli.exit_code == 1
    assert f"subject {subject.key}, form SE.SCREENING/F.VS, item I.VS.HR" in cli.output
    assert "stored '55', audited '80'" in cli.output


def test_item_rows_inserted_or_deleted_behind_the_trail_are_named(session, world):
    subject = _trail(session)
    form_id, spo2 = session.execute(text("SELECT form_id, id FROM item_data WHERE item_oid = 'I.VS.SPO2'")).one()
    session.execute(text("DELETE FROM item_data WHERE id = :i"), {"i": spo2})
    session.execute(text("INSERT INTO item_data (form_id, item_oid, value) VALUES (:f, 'I.VS.EXTRA', '1')"),
                    {"f": form_id})
    found = {(m.subject_key, m.item_oid, m.stored, m.audited, m.problem) for m in _verify(session).mismatches}
    assert found == {(subject.key, "I.VS.SPO2", None, "98", "value removed without an audit record"),
                     (subject.key, "I.VS.EXTRA", "1", None, "no audit record for this value")}


def test_legacy_unkeyed_records_still_verify_and_the_key_applies_from_the_migration_on(databases, tmp_path):
    """A chain written before migration 9audit (SHA-256) is never rewritten: it verifies as it is, the
    records after it are HMACs, and an unkeyed record appended after the migration is named."""
    from ecrf.app import create_app
    from ecrf.audit import chain
    from ecrf.audit.models import AuditHead
    from ecrf.infra.extensions import db
    from ecrf.infra.migrate import upgrade

    url = databases.empty_url()
    engine = create_engine(url)
    try:
        upgrade(engine, "0006")
        legacy = [{"user_id": None, "username": "old", "role": "system", "actor_sites": None, "action": "login",
                   "entity": "user", "entity_id": str(n), "entity_key": None, "site_code": None,
                   "subject_key": None, "event_oid": None, "form_oid": None, "item_oid": None,
                   "old_value": None, "new_value": None, "reason": None} for n in range(3)]
        with engine.begin() as connection:
            chain.append(connection, legacy)  # the schema before 9audit: the legacy format
        with engine.connect() as connection:
            old = connection.execute(select(_events().c.seq, _events().c.hash).order_by("seq")).all()
        assert [h for _, h in old] == [r["hash"] for r in legacy]
        upgrade(engine)
        engine.dispose()
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
        with app.app_context():
            connection = db.session.connection()
            assert connection.execute(select(AuditHead.keyed_from)).scalar() == 4
            result = chain.verify(connection)
            assert result.ok and result.count == 3 and result.legacy_count == 3
            from ecrf.audit.context import SYSTEM, set_actor
            from ecrf.audit.trail import record

            set_actor(db.session, SYSTEM)
            record(db.session, "login", "user", entity_id=9)  # keyed records from 4 on
            record(db.session, "logout", "user", entity_id=9)
            db.session.commit()
            rows = db.session.execute(select(_events()).order_by("seq")).mappings().all()
            assert [tuple(r.values()) for r in rows[:3]] == [tuple(r.values()) for r in
                                                             db.session.execute(select(_events()).where(
                                                                 _events().c.seq <= 3).order_by("seq")).mappings()]
            assert [(r["seq"], r["hash"]) for r in rows[:3]] == old  # never rewritten
            assert rows[3]["hash"] == chain.record_hash(rows[3], app.config["AUDIT_KEY"].encode())
            assert rows[3]["hash"] != chain.record_hash(rows[3])
            result = chain.verify(db.session.connection())
            assert result.ok and result.legacy_count == 3 and result.count > 3, result
            seq = _unkeyed_forgery(db.session)
            result = chain.verify(db.session.connection())
            assert not result.ok and result.first_bad_seq == seq
            db.session.remove()
            db.engine.dispose()
    finally:
        engine.dispose()
        databases.drop(url)


def test_the_key_is_never_in_the_database(session, world, app):
    _trail(session)
    key = app.config["AUDIT_KEY"]
    from ecrf.infra.extensions import db

    for table in db.metadata.sorted_tables:
        for row in session.execute(select(table)):
            assert key not in json.dumps([str(v) for v in row]), table.name


def test_without_ecrf_audit_key_a_key_file_is_made_once_in_the_instance_folder(tmp_path, monkeypatch):
    from ecrf.infra.config import audit_key

    monkeypatch.delenv("ECRF_AUDIT_KEY", raising=False)
    first = audit_key(tmp_path / "instance")
    assert len(first) == 64 and audit_key(tmp_path / "instance") == first
    path = tmp_path / "instance" / "audit_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("ECRF_AUDIT_KEY", "from-the-environment")
    assert audit_key(tmp_path / "instance") == "from-the-environment"
