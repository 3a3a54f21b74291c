"""Login, lockout, sessions, CSRF, passwords and user administration."""
from __future__ import annotations

import re
from datetime import timedelta

from helpers import PASSWORD, Browser
from sqlalchemy import select


def _user(app, username):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def _actions(app, username=None):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        stmt = select(AuditEvent.action).order_by(AuditEvent.seq)
        if username:
            stmt = stmt.where(AuditEvent.entity_key == username)
        return list(db.session.scalars(stmt))


def test_login_and_logout_are_audited(app, world, browser):
    response = browser.login("coordinator")
    assert response.status_code == 302
    assert "Coordinator Person" in browser.get("/subjects").get_data(as_text=True)
    assert browser.post("/logout").status_code == 302
    assert browser.get("/subjects").status_code == 302  # back to login
    assert _actions(app, "coordinator")[-2:] == ["login", "logout"]


def test_wrong_password_does_not_reveal_whether_the_user_exists(app, world, browser):
    unknown = browser.login("nobody", "whatever-password").get_data(as_text=True)
    wrong = browser.login("coordinator", "wrong-password!!").get_data(as_text=True)
    assert "Unknown username or wrong password." in unknown and "Unknown username or wrong password." in wrong
    assert "login_failed" in _actions(app)


def test_five_failures_lock_the_account_for_fifteen_minutes(app, world, browser):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db
    from ecrf.study.clock import utcnow

    for _ in range(5):
        browser.login("monitor", "wrong-password!!")
    locked = _user(app, "monitor")
    assert locked.locked_until is not None
    assert timedelta(minutes=14) < locked.locked_until - utcnow() <= timedelta(minutes=15)
    page = browser.login("monitor").get_data(as_text=True)  # right password, still locked
    assert "locked" in page
    assert _actions(app, "monitor").count("lockout") == 1
    assert "login_refused_locked" in _actions(app, "monitor")
    with app.app_context():  # fifteen minutes later
        user = db.session.scalar(select(User).where(User.username == "monitor"))
        user.locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert browser.login("monitor").status_code == 302


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, world):
    from helpers import new_subject

    from ecrf.infra.extensions import db

    with app.app_context():
        key = new_subject(db.session).key
    browser = Browser(app.test_client())
    browser.login("coordinator")
    response = browser.client.post(f"/subjects/{key}/events/SE.SCREENING/forms/F.VS",
                                   data={"I.VS.SPO2": "97", "version": "0"})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    login = app.test_client().post("/login", data={"username": "coordinator", "password": PASSWORD})
    assert login.status_code == 400


def test_idle_session_expires(app, world):
    browser = Browser(app.test_client())
    browser.login("coordinator")
    assert browser.get("/subjects").status_code == 200
    with browser.client.session_transaction() as session:
        session["last_seen"] -= 31 * 60
    response = browser.get("/subjects")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "session_timeout" in _actions(app, "coordinator")


def test_passwords_are_argon2id_and_policy_is_enforced(app, world):
    from ecrf.auth.services import create_user
    from ecrf.errors import AccountError
    from ecrf.infra.extensions import db

    assert _user(app, "coordinator").password_hash.startswith("$argon2id$")
    with app.app_context():
        try:
            create_user(db.session, "shorty", "Short", "monitor", ["01"], "short")
        except AccountError as exc:
            assert "at least 12 characters" in str(exc)
        else:
            raise AssertionError("a short password was accepted")


def test_production_hash_parameters_meet_owasp(tmp_path):
    from ecrf.app import create_app
    from ecrf.auth.passwords import hash_password

    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        encoded = hash_password("a long enough password")
    params = dict(p.split("=") for p in encoded.split("$")[3].split(","))
    assert encoded.startswith("$argon2id$") and int(params["m"]) >= 19456 and int(params["t"]) >= 2


def test_user_changes_own_password_with_the_current_one(app, world):
    browser = Browser(app.test_client())
    browser.login("investigator")
    bad = browser.post("/account/password", {"current_password": "not-my-password",
                                             "new_password": "brand new pass 2026",
                                             "confirm": "brand new pass 2026"})
    assert "current password is wrong" in bad.get_data(as_text=True)
    ok = browser.post("/account/password", {"current_password": PASSWORD, "new_password": "brand new pass 2026",
                                            "confirm": "brand new pass 2026"})
    assert ok.status_code == 302
    assert Browser(app.test_client()).login("investigator", "brand new pass 2026").status_code == 302
    assert Browser(app.test_client()).login("investigator", PASSWORD).status_code == 200


def test_admin_creates_a_user_who_sets_their_password_from_a_one_time_link(app, world):
    from ecrf.infra.extensions import db
    from ecrf.mail.models import OutboxMessage

    admin = Browser(app.test_client())
    admin.login("admin")
    page = admin.post("/admin/users/new", {"username": "newcoord", "full_name": "New Coordinator",
                                           "email": "newcoord@site.example", "role": "coordinator",
                                           "sites": ["01"]}).get_data(as_text=True)
    assert "/reset/" not in page  # the link goes to the user's mailbox, not to the administrator
    with app.app_context():
        mail = db.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "newcoord@site.example"))
        link = re.search(r"http://localhost(/reset/\S+)", mail.body).group(1)
    path = link
    assert _user(app, "newcoord").password_hash is None
    newcomer = Browser(app.test_client())
    form = newcomer.client.get(path).get_data(as_text=True)
    token = newcomer._token_from(form)
    response = newcomer.client.post(path, data={"csrf_token": token, "new_password": "my own secret phrase",
                                                "confirm": "my own secret phrase"})
    assert response.status_code == 302
    assert newcomer.client.get(path).status_code == 404  # used once
    assert Browser(app.test_client()).login("newcoord", "my own secret phrase").status_code == 302
    created = [a for a in _actions(app)]
    assert "create" in created


def test_usernames_are_never_reused_and_deactivation_ends_the_session(app, world):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    admin = Browser(app.test_client())
    admin.login("admin")
    page = admin.post("/admin/users/new", {"username": "coordinator", "full_name": "Impostor", "role": "coordinator",
                                           "email": "impostor@site.example", "sites": ["01"]}).get_data(as_text=True)
    assert "never reused" in page
    user = Browser(app.test_client())
    user.login("sponsor")
    assert user.get("/subjects").status_code == 200
    with app.app_context():
        sponsor_id = db.session.scalar(select(User.id).where(User.username == "sponsor"))
    assert admin.post(f"/admin/users/{sponsor_id}/active/0").status_code == 302
    assert user.get("/subjects").status_code == 302
    assert Browser(app.test_client()).login("sponsor").status_code == 200  # refused
    assert _user(app, "sponsor") is not None  # never deleted


def _admin_and_user_id(app, username: str):
    """An admin's browser, and the id of ``username``."""
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    admin = Browser(app.test_client())
    admin.login("admin")
    with app.app_context():
        return admin, db.session.scalar(select(User.id).where(User.username == username))


def test_admin_changes_role_and_sites_and_it_is_audited(app, world):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    admin, uid = _admin_and_user_id(app, "monitor")
    assert admin.post(f"/admin/users/{uid}", {"role": "data_manager", "sites": ["01", "02"]}).status_code == 302
    moved = _user(app, "monitor")
    assert moved.role == "data_manager"
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.entity, AuditEvent.action, AuditEvent.new_value,
                                         AuditEvent.username)
                                  .where(AuditEvent.seq > 0).order_by(AuditEvent.seq.desc()).limit(2)).all()
    assert {(r.entity, r.action) for r in rows} == {("user_account", "update"), ("user_site", "create")}
    assert all(r.username == "admin" for r in rows)


def test_secure_headers(app, world, browser):
    response = browser.client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_open_redirect_after_login_is_refused(app, world):
    browser = Browser(app.test_client())
    page = browser.client.get("/login")
    token = browser._token_from(page.get_data(as_text=True))
    response = browser.client.post("/login?next=//evil.example/x", data={
        "username": "coordinator", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


def test_removing_a_site_from_a_user_is_audited(app, world):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    admin, uid = _admin_and_user_id(app, "monitor")
    assert admin.post(f"/admin/users/{uid}", {"role": "monitor", "sites": ["01", "02"]}).status_code == 302
    assert admin.post(f"/admin/users/{uid}", {"role": "monitor", "sites": ["02"]}).status_code == 302
    assert [s.code for s in _user(app, "monitor").sites] == ["02"]
    with app.app_context():
        removed = db.session.scalar(select(AuditEvent).where(AuditEvent.entity == "user_site",
                                                             AuditEvent.action == "delete"))
        assert removed.entity_key == f"user#{uid}@01" and removed.username == "admin"


def test_nul_bytes_are_refused_cleanly(app, world):
    browser = Browser(app.test_client())
    browser.login("coordinator")
    assert browser.get("/subjects/a%00b").status_code == 404
    assert browser.get("/subjects?x=a%00b").status_code == 400
    assert browser.post("/account/password", {"current_password": "a\x00b", "new_password": "x",
                                              "confirm": "x"}).status_code == 400
