"""Least privilege: the application's database connection cannot alter the audit trail, even with raw SQL.

On PostgreSQL the app connects as the role ``ecrf init-db --app-role`` creates: the tests connect as that role
and try every way of rewriting history. On SQLite there are no roles (the app owns its file); the same tests
assert what protects the trail there, the append-only triggers, and that ``--app-role`` is refused with a
message. .ci/run runs this file on both engines.
"""
from __future__ import annotations

import os
import uuid

import pytest
from click.testing import CliRunner
from helpers import PASSWORD, Browser, new_subject, save, vs_values
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from ecrf.cli import main

PG_URL = os.environ.get("ECRF_TEST_DATABASE_URL")
APP_PASSWORD = "app role password 2026"


def _app_like(app, url: str, instance, **extra):
    """Another app on the same settings as the test app (``app`` fixture), at ``url``, with ``extra``."""
    from ecrf.app import create_app

    keep = ("TESTING", "SECRET_KEY", "ARGON2_PARAMS", "SERVER_NAME")
    return create_app({**{k: app.config[k] for k in keep}, "SQLALCHEMY_DATABASE_URI": url,
                       "INSTANCE_PATH": str(instance), **extra})


def _cli(url: str, tmp_path, monkeypatch, *args, input=None):
    monkeypatch.setenv("ECRF_DATABASE_URL", url)
    monkeypatch.setenv("ECRF_SECRET_KEY", "role-test")
    monkeypatch.setenv("ECRF_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    return CliRunner().invoke(main, list(args), input=input)


@pytest.fixture
def app_role(db_url, tmp_path, monkeypatch):
    """(role name, URL the application connects with): the least-privileged role on PostgreSQL, created by
    ``init-db --app-role``; on SQLite (no roles) None and the database file itself."""
    if not PG_URL:
        yield None, db_url
        return
    role = f"ecrf_app_{uuid.uuid4().hex[:8]}"
    result = _cli(db_url, tmp_path, monkeypatch, "init-db", "--app-role", role, "--app-password-from-stdin",
                  input=APP_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    yield role, make_url(db_url).set(username=role, password=APP_PASSWORD).render_as_string(hide_password=False)
    owner = create_engine(db_url)
    with owner.begin() as connection:  # its grants in this database, then the (cluster-wide) role itself
        connection.execute(text(f'DROP OWNED BY "{role}"'))
        connection.execute(text(f'DROP ROLE "{role}"'))
    owner.dispose()


@pytest.fixture
def app_connection(app_role, world):
    """A raw connection as the application makes it, with a few audit records (the world's setup) to attack."""
    engine = create_engine(app_role[1])
    yield engine
    engine.dispose()


def _refused(engine, statement: str) -> str:
    """Run ``statement`` in its own transaction; the database's refusal (an assertion error if it ran)."""
    with engine.connect() as connection:
        try:
            connection.execute(text(statement))
        except DBAPIError as exc:
            connection.rollback()
            return str(exc.orig)
        connection.rollback()
    raise AssertionError(f"the application connection ran: {statement}")


def _trail(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(text("SELECT seq, hash, reason FROM audit_event ORDER BY seq")).all()


def test_the_app_connection_cannot_update_or_delete_audit_records(app_connection):
    before = _trail(app_connection)
    assert before
    for statement in ("UPDATE audit_event SET reason = 'forged' WHERE seq = 1",
                      "UPDATE audit_event SET reason = 'forged'",
                      "DELETE FROM audit_event WHERE seq = 1",
                      "DELETE FROM audit_event"):
        message = _refused(app_connection, statement)
        if PG_URL:
            assert "permission denied for table audit_event" in message, message
        else:
            assert "audit_event is append-only" in message, message
    assert _trail(app_connection) == before


def test_the_app_connection_cannot_truncate_nor_touch_the_triggers(app_connection):
    before = _trail(app_connection)
    if PG_URL:
        assert "permission denied" in _refused(app_connection, "TRUNCATE audit_event")
        for statement in ("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update_delete",
                          "ALTER TABLE audit_event DISABLE TRIGGER ALL",
                          "DROP TRIGGER audit_event_no_update_delete ON audit_event",
                          "DROP TRIGGER audit_event_no_truncate ON audit_event",
                          "DROP FUNCTION audit_event_append_only() CASCADE",
                          "DROP TABLE audit_event",
                          "ALTER TABLE audit_event RENAME TO audit_event_old"):
            message = _refused(app_connection, statement)
            assert "must be owner" in message, (statement, message)
        # replica mode skips ordinary triggers; only a superuser may set it
        assert "permission denied" in _refused(app_connection, "SET session_replication_role = replica")
        assert "permission denied" in _refused(
            app_connection, "CREATE TRIGGER sneak BEFORE INSERT ON audit_event "
                            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
    else:
        # SQLite has no TRUNCATE: a DELETE without WHERE is its truncate, and the trigger refuses it too
        with app_connection.connect() as connection:
            triggers = set(connection.scalars(text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")))
        assert {"audit_event_no_update", "audit_event_no_delete"} <= triggers
        assert "append-only" in _refused(app_connection, "DELETE FROM audit_event")
    assert _trail(app_connection) == before


def test_the_app_connection_cannot_rewrite_the_chain_head(app_connection):
    with app_connection.connect() as connection:
        head = connection.execute(text("SELECT id, seq, hash FROM audit_head")).all()
    if PG_URL:
        for statement in ("DELETE FROM audit_head", "TRUNCATE audit_head",
                          "INSERT INTO audit_head (id, seq, hash) VALUES (2, 0, 'x')",
                          "UPDATE audit_head SET id = 2"):
            assert "permission denied" in _refused(app_connection, statement), statement
    else:  # one writer owns the file; what protects the head there is the chain itself
        assert len(head) == 1
    with app_connection.connect() as connection:
        assert connection.execute(text("SELECT id, seq, hash FROM audit_head")).all() == head


def test_the_app_works_as_its_role(app, app_role, world, tmp_path):
    """Saving a form through the service, logging in and out, verifying the chain: all as the app role."""
    from ecrf.audit.chain import verify
    from ecrf.audit.context import Actor, set_actor
    from ecrf.capture.models import ItemData
    from ecrf.infra.extensions import db

    role, url = app_role
    app = _app_like(app, url, tmp_path / "role-instance")
    try:
        with app.app_context():
            if PG_URL:
                assert db.session.scalar(text("SELECT current_user")) == role
            set_actor(db.session, Actor(None, "test", "system"))
            subject = new_subject(db.session)
            save(db.session, subject, "F.VS", vs_values())
            assert db.session.scalar(select(ItemData.value).where(ItemData.item_oid == "I.VS.HR")) == "72"
            key = subject.key
        browser = Browser(app.test_client())
        assert browser.login("coordinator", PASSWORD).status_code == 302
        page = browser.get(f"/subjects/{key}").get_data(as_text=True)
        assert key in page
        assert browser.post("/logout").status_code == 302
        with app.app_context(), db.engine.connect() as connection:
            assert verify(connection).ok
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_init_db_makes_the_role_or_says_why_not(app_role, db_url, tmp_path, monkeypatch):
    role, _ = app_role
    if PG_URL:
        admin = create_engine(PG_URL)
        with admin.connect() as connection:
            row = connection.execute(text("SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolbypassrls "
                                          "FROM pg_roles WHERE rolname = :r"), {"r": role}).one()
        admin.dispose()
        assert tuple(row) == (True, False, False, False, False)
        again = _cli(db_url, tmp_path, monkeypatch, "init-db", "--app-role", role)
        assert again.exit_code == 0, again.output  # idempotent: the grants are set again
        owner = _cli(db_url, tmp_path, monkeypatch, "init-db", "--app-role", make_url(db_url).username)
        assert owner.exit_code == 2 and "role of its own" in owner.output
        bad = _cli(db_url, tmp_path, monkeypatch, "init-db", "--app-role", "App; DROP TABLE x")
        assert bad.exit_code == 2 and "lower-case letters" in bad.output
    else:
        refused = _cli(db_url, tmp_path, monkeypatch, "init-db", "--app-role", "ecrf_app")
        assert refused.exit_code == 2 and "--app-role is for PostgreSQL" in refused.output
    lone = _cli(db_url, tmp_path, monkeypatch, "init-db", "--app-password-from-stdin", input="x\n")
    assert lone.exit_code == 2 and "name the role" in lone.output
