"""A session ends on the server: a session cookie copied before a logout, a password change or an idle timeout
authenticates nobody afterwards."""
from __future__ import annotations

import time

from helpers import PASSWORD, Browser
from sqlalchemy import select

NEW_PASSWORD = "a brand new passphrase"


def _copy(browser: Browser, app) -> Browser:
    """Another browser holding a copy of ``browser``'s session cookie (as a thief would)."""
    name = app.config["SESSION_COOKIE_NAME"]
    thief = Browser(app.test_client())
    thief.client.set_cookie(name, browser.client.get_cookie(name).value, domain="localhost")
    return thief


def _goes_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _actions(app, username):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity_key == username)
                                       .order_by(AuditEvent.seq)))


def test_a_cookie_copied_before_logout_is_refused_after_it(app, world):
    user = Browser(app.test_client())
    user.login("coordinator")
    thief = _copy(user, app)
    assert thief.get("/subjects").status_code == 200  # the copy works while the session lives
    assert user.post("/logout").status_code == 302
    assert _goes_to_login(thief.get("/subjects"))
    assert _goes_to_login(thief.get("/account/password"))
    again = Browser(app.test_client())  # logging in again opens a new session, the old copy stays dead
    assert again.login("coordinator").status_code == 302
    assert again.get("/subjects").status_code == 200
    assert _goes_to_login(thief.get("/subjects"))


def test_a_password_change_ends_the_other_sessions_but_not_its_own(app, world):
    user, elsewhere = Browser(app.test_client()), Browser(app.test_client())
    user.login("monitor")
    elsewhere.login("monitor")
    thief = _copy(user, app)
    response = user.post("/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                               "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert user.get("/subjects").status_code == 200
    assert _goes_to_login(elsewhere.get("/subjects"))
    assert _goes_to_login(thief.get("/subjects"))


def test_a_copied_cookie_is_refused_after_the_idle_timeout_which_is_audited(app, world, monkeypatch):
    user = Browser(app.test_client())
    user.login("coordinator")
    thief = _copy(user, app)
    later = time.time() + 31 * 60  # every clock moves on, the cookie signature's included
    monkeypatch.setattr(time, "time", lambda: later)
    assert _goes_to_login(thief.get("/subjects"))
    assert _actions(app, "coordinator")[-1] == "session_timeout"
    assert _goes_to_login(user.get("/subjects"))


def test_a_session_without_its_epoch_or_last_request_time_is_not_valid(app, world):
    """Sessions issued before the epoch existed (or altered to drop a key) do not authenticate."""
    for key in ("epoch", "last_seen"):
        browser = Browser(app.test_client())
        browser.login("coordinator")
        with browser.client.session_transaction() as session:
            del session[key]
        assert _goes_to_login(browser.get("/subjects")), key


def test_ending_the_sessions_is_not_audited_as_a_change_of_the_account(app, world):
    """The epoch is bookkeeping: the logout is the audit record, not an update of user_account."""
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    user = Browser(app.test_client())
    user.login("sponsor")
    user.post("/logout")
    with app.app_context():
        last = db.session.execute(select(AuditEvent.action, AuditEvent.entity).order_by(AuditEvent.seq.desc())
                                  .limit(1)).one()
    assert tuple(last) == ("logout", "session")
