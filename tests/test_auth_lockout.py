"""Every password check counts toward the lockout (login, password change, e-signature); a locked account can
neither log in, nor sign, nor use its API tokens; a refused login looks the same whatever the reason."""
from __future__ import annotations

import html
import re

import pytest
from helpers import PASSWORD, Browser, new_subject
from sqlalchemy import select

from ecrf.auth.services import LOGIN_REFUSED

WRONG = "not the password at all"


def _user(app, username):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge_all()
        return user


def _subject_key(app) -> str:
    from ecrf.infra.extensions import db

    with app.app_context():
        return new_subject(db.session).key


def _sign(browser: Browser, key: str, password: str):
    return browser.post(f"/subjects/{key}/eligibility", {"password": password, "reason": "source documents checked"},
                        follow_redirects=True)


def _api_token(app, username: str) -> str:
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.auth.tokens import issue
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        raw = issue(db.session, db.session.scalar(select(User).where(User.username == username)))[1]
        db.session.commit()
        return raw


def test_wrong_signing_passwords_lock_the_account(app, world):
    key = _subject_key(app)
    investigator = Browser(app.test_client())
    investigator.login("investigator")
    for attempt in range(1, 5):
        page = _sign(investigator, key, WRONG).get_data(as_text=True)
        assert "The password is wrong" in page
        assert _user(app, "investigator").failed_logins == attempt
    _sign(investigator, key, WRONG)  # the fifth
    assert _user(app, "investigator").locked_until is not None
    page = _sign(investigator, key, PASSWORD).get_data(as_text=True)  # the right password, but locked
    assert "Your account is locked" in page and "eligibility was not confirmed" in page
    from ecrf.enrolment.models import EligibilityReview
    from ecrf.infra.extensions import db

    with app.app_context():
        assert db.session.scalar(select(EligibilityReview.id)) is None
    assert LOGIN_REFUSED in Browser(app.test_client()).login("investigator").get_data(as_text=True)


def test_wrong_passwords_anywhere_add_up(app, world):
    """Two wrong signatures, two wrong password changes and one wrong login: five in a row lock the account."""
    key = _subject_key(app)
    investigator = Browser(app.test_client())
    investigator.login("investigator")
    _sign(investigator, key, WRONG)
    _sign(investigator, key, WRONG)
    for _ in range(2):
        page = investigator.post("/account/password", {"current_password": WRONG, "new_password": "x" * 20,
                                                       "confirm": "x" * 20}).get_data(as_text=True)
        assert "current password is wrong" in page
    assert _user(app, "investigator").failed_logins == 4
    Browser(app.test_client()).login("investigator", WRONG)
    assert _user(app, "investigator").locked_until is not None
    page = investigator.post("/account/password", {"current_password": PASSWORD, "new_password": "y" * 20,
                                                   "confirm": "y" * 20}).get_data(as_text=True)
    assert "Your account is locked" in page
    assert Browser(app.test_client()).login("investigator").status_code == 200  # refused: locked


def test_a_right_password_resets_the_count(app, world):
    key = _subject_key(app)
    investigator = Browser(app.test_client())
    investigator.login("investigator")
    _sign(investigator, key, WRONG)
    assert _user(app, "investigator").failed_logins == 1
    _sign(investigator, key, PASSWORD)
    assert _user(app, "investigator").failed_logins == 0


def test_a_locked_account_cannot_use_its_api_tokens(app, world):
    raw = _api_token(app, "monitor")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/study", headers=headers).status_code == 200
    for _ in range(5):
        Browser(app.test_client()).login("monitor", WRONG)
    response = client.get("/api/v1/study", headers=headers)
    assert response.status_code == 401 and "locked" in response.json["error"]


@pytest.fixture
def verifications(monkeypatch):
    """Counts argon2 verifications: every login attempt must do exactly one, whatever the account."""
    from argon2 import PasswordHasher

    calls = []
    real = PasswordHasher.verify

    def counted(self, stored, password):
        calls.append(stored)
        return real(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counted)
    return calls


def test_unknown_wrong_locked_and_inactive_logins_answer_alike(app, world, verifications):
    from ecrf.audit.context import Actor, set_actor
    from ecrf.auth.models import User
    from ecrf.auth.services import create_user, set_active
    from ecrf.infra.extensions import db

    with app.app_context():
        set_actor(db.session, Actor(None, "test-setup", "system"))
        set_active(db.session, db.session.scalar(select(User).where(User.username == "sponsor")), False)
        create_user(db.session, "nopassword", "Not Yet Set", "monitor", ["01"])  # no password until a reset
        db.session.commit()
    for _ in range(5):
        Browser(app.test_client()).login("monitor", WRONG)
    attempts = {"unknown": ("nobody-here", PASSWORD), "wrong": ("coordinator", WRONG),
                "locked": ("monitor", PASSWORD), "inactive": ("sponsor", PASSWORD),
                "no password yet": ("nopassword", PASSWORD)}
    pages = {}
    for case, (username, password) in attempts.items():
        verifications.clear()
        response = Browser(app.test_client()).login(username, password)
        assert response.status_code == 200, case
        assert len(verifications) == 1, case  # one hash verified each time: the same work, the same time
        pages[case] = response.get_data(as_text=True)
    alerts = {case: re.findall(r'<div class="alert[^"]*" role="alert">([^<]*)</div>', page)
              for case, page in pages.items()}
    assert all(found == [html.escape(LOGIN_REFUSED)] for found in alerts.values()), alerts


def test_a_refused_login_takes_as_long_as_a_wrong_password(app, world):
    """With production hash parameters the unknown-user answer costs a full verification too."""
    import time

    from ecrf.auth.passwords import hash_password
    from ecrf.auth.services import authenticate
    from ecrf.infra.extensions import db

    app.config["ARGON2_PARAMS"] = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
    with app.app_context():
        from ecrf.auth.models import User

        user = db.session.scalar(select(User).where(User.username == "coordinator"))
        user.password_hash = hash_password(PASSWORD)
        db.session.commit()
        authenticate(db.session, "nobody", WRONG)  # the dummy hash is made once, on first use
        db.session.rollback()

        def took(username):
            started = time.perf_counter()
            authenticate(db.session, username, WRONG)
            db.session.rollback()
            return time.perf_counter() - started

        unknown = min(took("nobody") for _ in range(3))
        wrong = min(took("coordinator") for _ in range(3))
    assert unknown > wrong / 3, (unknown, wrong)
