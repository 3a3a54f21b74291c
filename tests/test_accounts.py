"""No account takeover by an administrator (issue 9, item 5) and the password rules (item 10).

A reset link reaches only the user's own mailbox (through the outbox and a real SMTP server); the admin's
pages never hold it; completing a reset ends the user's sessions and revokes their API tokens; no admin
changes their own access; each of these is audited.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers import PASSWORD, Browser
from sqlalchemy import func, select

from ecrf.study.clock import utcnow

NEW_PASSWORD = "a fresh phrase for spring"


def _user(app, username):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def _give_email(app, username, email):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    with app.app_context():
        db.session.scalar(select(User).where(User.username == username)).email = email
        db.session.commit()


def _deliver(app, server):
    """Run the mail worker once against the test SMTP server; the mails it delivered."""
    from ecrf.infra.extensions import db
    from ecrf.mail.smtp import SmtpSettings
    from ecrf.mail.worker import Policy, deliver

    with app.app_context():
        deliver(db.session, SmtpSettings(host="127.0.0.1", port=server.port, sender="ecrf@trial.example"), Policy())
    return server.messages


def _link_path(mail) -> str:
    return re.search(r"http://localhost(/reset/[A-Za-z0-9_-]+)", mail.get_content()).group(1)


def _set_password_through(path: str, app, password=NEW_PASSWORD):
    user = Browser(app.test_client())
    form = user.client.get(path)
    assert form.status_code == 200
    return user.client.post(path, data={"csrf_token": user._token_from(form.get_data(as_text=True)),
                                        "new_password": password, "confirm": password})


def _audit_text(app) -> str:
    """Every audit record, every column, as one text (to look for what must never be in it)."""
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent)).all()
        return "\n".join(" ".join(str(getattr(r, c.key)) for c in AuditEvent.__table__.columns) for r in rows)


def _actions(app, username):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        return [a for (a,) in db.session.execute(select(AuditEvent.action).where(AuditEvent.entity_key == username)
                                                 .order_by(AuditEvent.seq))]


def _admin_and_id(app, username):
    admin = Browser(app.test_client())
    assert admin.login("admin").status_code == 302
    return admin, _user(app, username).id


# --- item 5: resets by mail only ---------------------------------------------------------------------------

def test_the_reset_link_reaches_the_users_mailbox_and_never_an_admin_page(app, world, smtp_server):
    _give_email(app, "investigator", "inv@site.example")
    admin, uid = _admin_and_id(app, "investigator")
    pages = [admin.post(f"/admin/users/{uid}/reset", follow_redirects=True)]
    created = admin.post("/admin/users/new", {"username": "newinv", "full_name": "New Investigator",
                                              "email": "newinv@site.example", "role": "investigator",
                                              "sites": ["01"]}, follow_redirects=True)
    pages += [created, admin.get("/admin/users"), admin.get(f"/admin/users/{uid}")]
    assert all(p.status_code == 200 for p in pages)
    assert "mailed" in pages[0].get_data(as_text=True)

    mails = _deliver(app, smtp_server)
    assert sorted(m["To"] for m in mails) == ["inv@site.example", "newinv@site.example"]
    tokens = [_link_path(m).rsplit("/", 1)[1] for m in mails]
    for page in pages:
        text = page.get_data(as_text=True)
        assert "/reset/" not in text and not any(token in text for token in tokens)
    audit = _audit_text(app)
    assert not any(token in audit for token in tokens)  # only the token's hash is stored, redacted in the trail
    assert "password_reset_mailed" in _actions(app, "investigator")

    # the mailed link works once, for the user
    inv_mail = next(m for m in mails if m["To"] == "inv@site.example")
    assert _set_password_through(_link_path(inv_mail), app).status_code == 302
    assert Browser(app.test_client()).login("investigator", NEW_PASSWORD).status_code == 302
    assert Browser(app.test_client()).client.get(_link_path(inv_mail)).status_code == 404


def test_completing_a_reset_ends_sessions_and_old_api_tokens_answer_401(app, world, smtp_server):
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    _give_email(app, "investigator", "inv@site.example")
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User

    with app.app_context():
        set_actor(db.session, Actor(None, "test", "system"))
        _, raw = issue(db.session, db.session.scalar(select(User).where(User.username == "investigator")))
        db.session.commit()
    client = app.test_client()
    assert client.get("/api/v1/study", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    held = Browser(app.test_client())
    assert held.login("investigator").status_code == 302
    assert held.get("/subjects").status_code == 200

    admin, uid = _admin_and_id(app, "investigator")
    admin.post(f"/admin/users/{uid}/reset")
    [mail] = _deliver(app, smtp_server)
    assert _set_password_through(_link_path(mail), app).status_code == 302

    assert client.get("/api/v1/study", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert held.get("/subjects").status_code == 302  # the session opened before the reset is over
    actions = _actions(app, "investigator")
    assert "password_reset" in actions
    assert any(a == "update" for a in _actions(app, f"investigator/token {raw[:10]}"))  # the revocation


def test_a_reset_link_is_short_lived(app, world, smtp_server):
    from ecrf.auth.models import PasswordResetToken
    from ecrf.infra.extensions import db

    assert app.config["RESET_TOKEN_HOURS"] == 1
    _give_email(app, "monitor", "mon@site.example")
    admin, uid = _admin_and_id(app, "monitor")
    admin.post(f"/admin/users/{uid}/reset")
    [mail] = _deliver(app, smtp_server)
    with app.app_context():
        row = db.session.scalar(select(PasswordResetToken))
        assert row.expires_at - row.created_at <= timedelta(hours=1, seconds=1)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert Browser(app.test_client()).client.get(_link_path(mail)).status_code == 404


def test_only_the_newest_reset_link_works(app, world, smtp_server):
    _give_email(app, "monitor", "mon@site.example")
    admin, uid = _admin_and_id(app, "monitor")
    admin.post(f"/admin/users/{uid}/reset")
    admin.post(f"/admin/users/{uid}/reset")
    first, second = _deliver(app, smtp_server)
    assert Browser(app.test_client()).client.get(_link_path(first)).status_code == 404
    assert _set_password_through(_link_path(second), app).status_code == 302


def test_a_user_without_an_address_gets_no_reset_and_the_admin_is_told(app, world):
    from ecrf.infra.extensions import db
    from ecrf.mail.models import OutboxMessage

    admin, uid = _admin_and_id(app, "coordinator")
    page = admin.post(f"/admin/users/{uid}/reset", follow_redirects=True).get_data(as_text=True)
    assert "has no e-mail address" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_new_user_needs_a_valid_address(app, world):
    admin = Browser(app.test_client())
    admin.login("admin")
    page = admin.post("/admin/users/new", {"username": "noaddr", "full_name": "No Address", "email": "not-an-address",
                                           "role": "monitor", "sites": ["01"]}).get_data(as_text=True)
    assert "not an e-mail address" in page
    assert _user(app, "noaddr") is None


def test_an_admin_cannot_change_their_own_role_or_sites(app, world):
    from ecrf.auth.models import UserSite
    from ecrf.infra.extensions import db

    admin, own = _admin_and_id(app, "admin")
    response = admin.post(f"/admin/users/{own}", {"role": "investigator", "sites": ["01", "02"]})
    assert response.status_code == 200
    assert "cannot change your own role or sites" in response.get_data(as_text=True)
    user = _user(app, "admin")
    assert user.role == "admin"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSite).where(UserSite.user_id == own)) == 0
    assert "access_change_refused" in _actions(app, "admin")
    # another admin's account is still theirs to manage
    _, other = _admin_and_id(app, "monitor")
    assert admin.post(f"/admin/users/{other}", {"role": "monitor", "sites": ["01", "02"]}).status_code == 302


def test_create_user_command_takes_an_email(app, monkeypatch):
    from click.testing import CliRunner

    from ecrf.cli import main

    monkeypatch.setenv("ECRF_DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("ECRF_SECRET_KEY", "cli-test")
    with app.app_context():
        from ecrf.audit.context import Actor, set_actor
        from ecrf.auth.services import create_site
        from ecrf.infra.extensions import db

        set_actor(db.session, Actor(None, "test", "system"))
        create_site(db.session, "07", "Seventh")
        db.session.commit()
    result = CliRunner().invoke(main, ["create-user", "--username", "coord7", "--role", "coordinator", "--site", "07",
                                       "--email", "coord7@site.example"], input="a sufficiently long password\n")
    assert result.exit_code == 0, result.output
    assert _user(app, "coord7").email == "coord7@site.example"
    bad = CliRunner().invoke(main, ["create-user", "--username", "coord8", "--role", "coordinator", "--site", "07",
                                    "--email", "coord8"], input="a sufficiently long password\n")
    assert bad.exit_code == 2 and "not an e-mail address" in bad.output


# --- item 10: passwords ------------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["qwerty123456", "1q2w3e4r5t6y", "Password2026!!", "  iloveyou  123456",
                                      "LEAVEMEALONE"])
def test_common_passwords_are_refused(session, password):
    from ecrf.auth.services import create_site, create_user
    from ecrf.errors import AccountError

    create_site(session, "01", "Site one")
    with pytest.raises(AccountError, match="commonly used"):
        create_user(session, "someone", "Some One", "monitor", ["01"], password)


def test_common_passwords_are_refused_at_change_and_reset_too(app, world):
    browser = Browser(app.test_client())
    browser.login("investigator")
    page = browser.post("/account/password", {"current_password": PASSWORD, "new_password": "qwerty123456789",
                                              "confirm": "qwerty123456789"}).get_data(as_text=True)
    assert "commonly used" in page
    assert Browser(app.test_client()).login("investigator").status_code == 302  # unchanged


def test_the_last_five_passwords_cannot_be_chosen_again(session):
    from ecrf.auth.models import PasswordHistory
    from ecrf.auth.services import change_password, create_site, create_user
    from ecrf.errors import AccountError

    create_site(session, "01", "Site one")
    user = create_user(session, "cycler", "Cy Cler", "monitor", ["01"], "first phrase of many")
    passwords = ["first phrase of many", "second phrase of many", "third phrase of many", "fourth phrase of many",
                 "fifth phrase of many"]
    for old, new in zip(passwords, passwords[1:]):
        change_password(session, user, old, new)
    for recent in passwords:  # all five, the current one included
        with pytest.raises(AccountError, match="last 5 passwords"):
            change_password(session, user, passwords[-1], recent)
    change_password(session, user, passwords[-1], "sixth phrase of many")
    change_password(session, user, "sixth phrase of many", passwords[0])  # six back: allowed again
    hashes = session.scalars(select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)).all()
    assert len(hashes) == 7 and all(h.startswith("$argon2id$") for h in hashes)
    assert not any(p in h for h in hashes for p in passwords)


def test_the_last_five_are_refused_through_a_reset_link_too(app, world, smtp_server):
    _give_email(app, "sponsor", "sp@site.example")
    admin, uid = _admin_and_id(app, "sponsor")
    admin.post(f"/admin/users/{uid}/reset")
    [mail] = _deliver(app, smtp_server)
    page = _set_password_through(_link_path(mail), app, PASSWORD)
    assert page.status_code == 200 and "last 5 passwords" in page.get_data(as_text=True)


@pytest.mark.parametrize("username", ["\u0430dmin", "us\u0435r", "ｆｕｌｌwidth", "ümlaut", "tab\tname", "Admin"])
def test_usernames_are_ascii_and_no_look_alike_of_an_existing_one(session, username):
    from ecrf.auth.services import create_user
    from ecrf.errors import AccountError

    create_user(session, "admin", "The Admin", "admin", [], "a long pass phrase")
    with pytest.raises(AccountError, match="ASCII|never reused"):
        create_user(session, username, "Look Alike", "admin", [], "another pass phrase")


def test_a_password_typed_as_username_is_not_kept_in_the_audit_trail(app, world):
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    typed = "my secret pass phrase"
    for _ in range(2):
        assert Browser(app.test_client()).login(typed, "whatever").status_code == 200
    assert typed not in _audit_text(app)
    with app.app_context():
        keys = db.session.scalars(select(AuditEvent.entity_key).where(AuditEvent.action == "login_failed")).all()
        assert len(keys) == 2 and keys[0] == keys[1] and keys[0].startswith("unknown:")
    # a known username's failure is still named: its owner and the administrator need to see it
    Browser(app.test_client()).login("monitor", "wrong password here")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "login_failed", AuditEvent.entity_key == "monitor")) == 1
