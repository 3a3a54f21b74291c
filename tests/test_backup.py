"""``ecrf backup`` and ``ecrf restore``: a backup restored into a fresh database verifies with the same chain
head, keeps its triggers, and a restore never silently replaces a database that holds data."""
from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from helpers import new_subject, save, vs_values
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DatabaseError

from ecrf.cli import main


def _cli(monkeypatch, url, *args):
    monkeypatch.setenv("ECRF_DATABASE_URL", url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "x")
    return CliRunner().invoke(main, list(args))


def _head(output: str) -> str:
    match = re.search(r"head (?:hash |\d+ )([0-9a-f]{64})", output)
    assert match, output
    return match.group(1)


def _counts(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in
                    ("audit_event", "item_data", "subject", "user_account")}
    finally:
        engine.dispose()


@pytest.fixture
def trail(app, world):
    from ecrf.infra.extensions import db

    with app.app_context():
        subject = new_subject(db.session)
        save(db.session, subject, "F.VS", vs_values())
        save(db.session, subject, "F.VS", vs_values(**{"I.VS.HR": "80"}), reason_code="TRANSCRIPTION")
        db.session.commit()
        db.session.remove()


def test_backup_then_restore_into_a_fresh_database_verifies_with_the_same_chain_head(
        trail, db_url, databases, tmp_path, monkeypatch):
    verified = _cli(monkeypatch, db_url, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    head = _head(verified.output)
    out = tmp_path / "ecrf.backup"
    made = _cli(monkeypatch, db_url, "backup", str(out))
    assert made.exit_code == 0, made.output
    assert _head(made.output) == head and out.is_file()

    target = databases.empty_url()
    try:
        restored = _cli(monkeypatch, target, "restore", str(out))
        assert restored.exit_code == 0, restored.output
        assert "audit trail intact" in restored.output and _head(restored.output) == head
        again = _cli(monkeypatch, target, "audit", "verify")
        assert again.exit_code == 0 and _head(again.output) == head, again.output
        assert _counts(target) == _counts(db_url)
        engine = create_engine(target)
        try:  # the append-only triggers came back with the schema
            with engine.connect() as connection, pytest.raises(DatabaseError, match="append-only"):
                connection.execute(text("DELETE FROM audit_event"))
        finally:
            engine.dispose()
    finally:
        databases.drop(target)


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(trail, app, db_url, databases, tmp_path,
                                                                   monkeypatch):
    out = tmp_path / "ecrf.backup"
    assert _cli(monkeypatch, db_url, "backup", str(out)).exit_code == 0
    other = databases.fresh_url()  # migrated, with data of its own
    try:
        engine = create_engine(other)
        with engine.begin() as c:
            c.execute(text("INSERT INTO site (code, name, timezone, created_at) "
                           "VALUES ('99', 'Other', 'UTC', CURRENT_TIMESTAMP)"))
        engine.dispose()
        before = _counts(other)
        refused = _cli(monkeypatch, other, "restore", str(out))
        assert refused.exit_code == 2 and "not empty" in refused.output and "--force" in refused.output
        assert _counts(other) == before
        forced = _cli(monkeypatch, other, "restore", "--force", str(out))
        assert forced.exit_code == 0, forced.output
        assert _counts(other) == _counts(db_url)
        engine = create_engine(other)
        with engine.connect() as c:
            assert c.scalar(select(func.count()).select_from(text("site")).where(text("code = '99'"))) == 0
        engine.dispose()
    finally:
        databases.drop(other)


def test_a_backup_never_overwrites_a_file_and_a_missing_backup_is_named(trail, db_url, tmp_path, monkeypatch):
    out = tmp_path / "exists.backup"
    out.write_text("keep me")
    refused = _cli(monkeypatch, db_url, "backup", str(out))
    assert refused.exit_code == 2 and "exists already" in refused.output and out.read_text() == "keep me"
    missing = _cli(monkeypatch, db_url, "restore", str(tmp_path / "nothing.backup"))
    assert missing.exit_code == 2 and "no backup file" in missing.output


def test_a_restore_with_another_audit_key_says_so(trail, db_url, databases, tmp_path, monkeypatch):
    out = tmp_path / "ecrf.backup"
    assert _cli(monkeypatch, db_url, "backup", str(out)).exit_code == 0
    target = databases.empty_url()
    try:
        monkeypatch.setenv("ECRF_AUDIT_KEY", "another installation's key")
        result = _cli(monkeypatch, target, "restore", str(out))
        assert result.exit_code == 1 and "ECRF_AUDIT_KEY" in result.output
    finally:
        databases.drop(target)


def test_pg_tools_missing_from_path_get_a_clear_message(monkeypatch):
    from ecrf.infra.backup import BackupError, _pg_tool

    monkeypatch.setenv("PATH", "")
    with pytest.raises(BackupError, match="pg_dump was not found on PATH: install the PostgreSQL client"):
        _pg_tool("pg_dump")
