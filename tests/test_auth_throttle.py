"""Failed logins are rate limited per client (per account: the lockout); forwarded addresses are believed only
from configured proxies; the API's failure throttle never holds back a valid token."""
from __future__ import annotations

import pytest
from helpers import PASSWORD, Browser
from sqlalchemy import select

WRONG = "not the password at all"


def _app_like(app, url: str, instance, **extra):
    """Another app on the same settings as the test app (``app`` fixture), at ``url``, with ``extra``."""
    from ecrf.app import create_app

    keep = ("TESTING", "SECRET_KEY", "ARGON2_PARAMS", "SERVER_NAME")
    return create_app({**{k: app.config[k] for k in keep}, "SQLALCHEMY_DATABASE_URI": url,
                       "INSTANCE_PATH": str(instance), **extra})


def _login(app, username, password, **environ):
    browser = Browser(app.test_client())
    page = browser.client.get("/login", environ_base=environ)
    token = browser._token_from(page.get_data(as_text=True))
    return browser.client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                               environ_base=environ)


def _login_behind(app, username, password, forwarded_for, **headers):
    """A login through a reverse proxy at 10.0.0.1 that forwards the client's address."""
    browser = Browser(app.test_client())
    environ = {"REMOTE_ADDR": "10.0.0.1"}
    headers = {"X-Forwarded-For": forwarded_for, **headers}
    page = browser.client.get("/login", environ_base=environ, headers=headers)
    token = browser._token_from(page.get_data(as_text=True))
    return browser.client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                               environ_base=environ, headers=headers)


def test_a_client_spraying_passwords_is_held_back(app, world):
    app.config["LOGIN_FAILURES_PER_MINUTE"] = 3
    for username in ("coordinator", "monitor", "nobody"):  # a different account each time: no lockout helps
        assert _login(app, username, WRONG, REMOTE_ADDR="192.0.2.7").status_code == 200
    held = _login(app, "sponsor", PASSWORD, REMOTE_ADDR="192.0.2.7")  # even the right password, from there
    assert held.status_code == 429 and 1 <= int(held.headers["Retry-After"]) <= 60
    assert "Too many failed logins" in held.get_data(as_text=True)
    assert _login(app, "sponsor", PASSWORD, REMOTE_ADDR="192.0.2.8").status_code == 302  # another client


def test_the_client_limit_lifts_after_a_minute(app, world, monkeypatch):
    import ecrf.auth.throttle as throttle

    app.config["LOGIN_FAILURES_PER_MINUTE"] = 2
    for _ in range(2):
        _login(app, "nobody", WRONG, REMOTE_ADDR="192.0.2.9")
    assert _login(app, "coordinator", PASSWORD, REMOTE_ADDR="192.0.2.9").status_code == 429
    later = throttle.utcnow() + throttle.WINDOW
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert _login(app, "coordinator", PASSWORD, REMOTE_ADDR="192.0.2.9").status_code == 302


def test_failed_logins_are_recorded_as_the_client_s(app, world):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    _login(app, "nobody", WRONG, REMOTE_ADDR="198.51.100.4")
    _login(app, "coordinator", PASSWORD, REMOTE_ADDR="198.51.100.4")
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.username)
                                  .where(AuditEvent.entity == "session").order_by(AuditEvent.seq)).all()
    assert [tuple(r) for r in rows][-2:] == [("login_failed", "anonymous@198.51.100.4"),
                                             ("login", "coordinator")]


def test_forwarded_addresses_are_ignored_unless_a_proxy_is_configured(app, world):
    app.config["LOGIN_FAILURES_PER_MINUTE"] = 2
    assert app.config["TRUSTED_PROXIES"] == 0
    _login_behind(app, "nobody", WRONG, "203.0.113.1")
    _login_behind(app, "nobody", WRONG, "203.0.113.2")  # a forged header does not make a new client
    assert _login_behind(app, "coordinator", PASSWORD, "203.0.113.3").status_code == 429


@pytest.fixture
def proxied_app(app, db_url, world, tmp_path):
    proxied = _app_like(app, db_url, tmp_path / "proxied", TRUSTED_PROXIES=1)
    yield proxied
    from ecrf.infra.extensions import db

    with proxied.app_context():
        db.session.remove()
        db.engine.dispose()


def test_behind_a_configured_proxy_each_client_has_its_own_limit(proxied_app):
    proxied_app.config["LOGIN_FAILURES_PER_MINUTE"] = 2
    for _ in range(2):
        _login_behind(proxied_app, "nobody", WRONG, "203.0.113.1")
    assert _login_behind(proxied_app, "coordinator", PASSWORD, "203.0.113.1").status_code == 429
    assert _login_behind(proxied_app, "coordinator", PASSWORD, "203.0.113.2").status_code == 302
    # only the nearest hop is believed: a client cannot prepend an address of its choosing
    assert _login_behind(proxied_app, "coordinator", PASSWORD, "203.0.113.9, 203.0.113.1").status_code == 429


def test_api_failures_behind_a_proxy_are_counted_per_client_and_valid_tokens_pass(proxied_app):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.audit.models import AuditEvent
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    proxied_app.config["API_AUTH_FAILURES_PER_MINUTE"] = 2
    with proxied_app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        raw = issue(db.session, db.session.scalar(select(User).where(User.username == "monitor")))[1]
        db.session.commit()
    client = proxied_app.test_client()

    def call(token, forwarded_for):
        return client.get("/api/v1/study", environ_base={"REMOTE_ADDR": "10.0.0.1"},
                          headers={"Authorization": f"Bearer {token}", "X-Forwarded-For": forwarded_for})

    bad = "ecrf_" + "x" * 43
    assert [call(bad, "203.0.113.5").status_code for _ in range(3)] == [401, 401, 429]
    assert call(bad, "203.0.113.6").status_code == 401  # another client behind the same proxy
    assert call(raw, "203.0.113.5").status_code == 200  # a valid token is never held back
    with proxied_app.app_context():
        keys = set(db.session.scalars(select(AuditEvent.entity_key).where(AuditEvent.action == "api_auth_failed")))
    assert keys == {"203.0.113.5", "203.0.113.6"}


def test_a_bad_proxy_setting_stops_start_up_with_a_message(monkeypatch, tmp_path):
    from ecrf.infra.config import from_environment

    monkeypatch.setenv("ECRF_TRUSTED_PROXIES", "one")
    with pytest.raises(ValueError, match="number of reverse proxies"):
        from_environment(tmp_path)
    monkeypatch.setenv("ECRF_TRUSTED_PROXIES", "2")
    assert from_environment(tmp_path)["TRUSTED_PROXIES"] == 2
