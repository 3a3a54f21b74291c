"""Second factor (issue 9, item 9): TOTP (RFC 6238) enrolled by QR code on the account page, asked after the
password, refused when wrong or replayed, counted toward the lockout; recovery codes hashed and single-use;
required for the configured roles."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from helpers import Browser
from sqlalchemy import select

from ecrf.auth import totp

T0 = datetime(2026, 12, 2, 9, 0, 10, tzinfo=timezone.utc)
STEP = timedelta(seconds=30)


@pytest.fixture
def clock(monkeypatch):
    """The second factor's "now", moved by the test (codes belong to 30-second steps)."""
    now = {"t": T0}
    monkeypatch.setattr(totp, "utcnow", lambda: now["t"])
    return now


def _code(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def _enrol(browser: Browser, clock) -> tuple[str, list[str]]:
    """Set the second factor up on the account page; (the secret, the recovery codes)."""
    page = browser.post("/account/second-factor", {"step": "start"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="totp-qr"' in html and "data:image/svg+xml" in html
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    done = browser.post("/account/second-factor", {"step": "confirm", "code": _code(secret, clock["t"])})
    html = done.get_data(as_text=True)
    codes = re.findall(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>", html)
    assert done.status_code == 200 and len(codes) == 10, html[:2000]
    return secret, codes


def _password_step(app, username="coordinator") -> Browser:
    browser = Browser(app.test_client())
    response = browser.login(username)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code"), response.headers
    return browser


def _code_step(browser: Browser, code: str):
    page = browser.client.get("/login/code")
    token = browser._token_from(page.get_data(as_text=True))
    return browser.client.post("/login/code", data={"code": code, "csrf_token": token})


def _logged_in(browser: Browser) -> bool:
    return browser.client.get("/subjects").status_code == 200


def _actions(app, username="coordinator") -> list[str]:
    from ecrf.audit.models import AuditEvent
    from ecrf.infra.extensions import db

    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.entity_key == username).order_by(AuditEvent.seq))
        return [r.action for r in rows]


def _user(app, username="coordinator"):
    from ecrf.auth.models import User
    from ecrf.infra.extensions import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        db.session.expunge(user)
        return user


def test_enrol_then_log_in_with_a_valid_code(app, as_role, clock):
    secret, _ = _enrol(as_role("coordinator"), clock)
    assert "totp_enabled" in _actions(app)
    browser = _password_step(app)
    assert not _logged_in(browser)  # the password alone does not log in any more
    clock["t"] += STEP
    response = _code_step(browser, _code(secret, clock["t"]))
    assert response.status_code == 302
    assert _logged_in(browser)
    assert _actions(app)[-1] == "second_factor_passed"


def test_a_wrong_code_is_refused_audited_and_counted_toward_the_lockout(app, as_role, clock):
    secret, _ = _enrol(as_role("coordinator"), clock)
    browser = _password_step(app)
    clock["t"] += STEP
    wrong = f"{(int(_code(secret, clock['t'])) + 1) % 1_000_000:06d}"
    response = _code_step(browser, wrong)
    assert response.status_code == 200 and totp.WRONG_CODE in response.get_data(as_text=True)
    assert not _logged_in(browser)
    assert _actions(app)[-1] == "second_factor_failed"
    assert _user(app).failed_logins == 1


def test_five_wrong_codes_lock_the_account_even_between_correct_passwords(app, as_role, clock):
    secret, _ = _enrol(as_role("coordinator"), clock)
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        browser = _password_step(app)  # a right password resets the password count, not the code count
        response = _code_step(browser, "000000" if _code(secret, clock["t"]) != "000000" else "111111")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "lockout" in _actions(app)
    assert _user(app).locked_until is not None
    assert Browser(app.test_client()).login("coordinator").status_code == 200  # locked: refused at the password


def test_a_code_replayed_within_its_window_is_refused(app, as_role, clock):
    secret, _ = _enrol(as_role("coordinator"), clock)
    clock["t"] += STEP
    code = _code(secret, clock["t"])
    first = _password_step(app)
    assert _code_step(first, code).status_code == 302
    clock["t"] += timedelta(seconds=5)  # same 30-second step: the code is still "valid" by the clock
    second = _password_step(app)
    response = _code_step(second, code)
    assert response.status_code == 200 and not _logged_in(second)
    # the code used at enrolment cannot log in either
    enrol_code = _code(secret, T0)
    third = _password_step(app)
    assert _code_step(third, enrol_code).status_code == 200


def test_a_recovery_code_works_once(app, as_role, clock):
    _, codes = _enrol(as_role("coordinator"), clock)
    browser = _password_step(app)
    assert _code_step(browser, codes[3].upper()).status_code == 302  # typed in capitals: still the code
    assert _logged_in(browser)
    again = _password_step(app)
    assert _code_step(again, codes[3]).status_code == 200
    assert not _logged_in(again)


def test_recovery_codes_and_the_secret_are_never_stored_or_audited_in_clear(app, as_role, clock):
    from ecrf.audit.models import AuditEvent
    from ecrf.auth.totp_models import RecoveryCode
    from ecrf.infra.extensions import db

    secret, codes = _enrol(as_role("coordinator"), clock)
    with app.app_context():
        hashes = list(db.session.scalars(select(RecoveryCode.code_hash)))
        trail = " ".join(f"{r.old_value} {r.new_value}" for r in db.session.scalars(select(AuditEvent)))
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)
    for code in codes:
        assert code.replace("-", "") not in " ".join(hashes) and code.replace("-", "") not in trail
    assert secret not in trail


def test_a_role_that_requires_the_second_factor_enrols_at_login(app, world, clock):
    app.config["TOTP_REQUIRED_ROLES"] = "admin,investigator"
    browser = _password_step(app, "investigator")
    page = browser.client.get("/login/code").get_data(as_text=True)
    assert "Set up the second factor" in page
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert not _logged_in(browser)
    response = _code_step(browser, _code(secret, clock["t"]))
    assert response.status_code == 200 and 'data-testid="recovery-codes"' in response.get_data(as_text=True)
    assert _logged_in(browser)
    # and it cannot be turned off
    assert "cannot be turned off" in browser.client.get("/account/second-factor").get_data(as_text=True)
    # a role not named logs in with the password alone
    plain = Browser(app.test_client())
    assert plain.login("monitor").headers["Location"].endswith("/")


def test_a_misspelt_required_role_is_refused_at_start_up(db_url, tmp_path):
    from ecrf.app import create_app

    with pytest.raises(ValueError, match="unknown role"):
        create_app({"SQLALCHEMY_DATABASE_URI": db_url, "TESTING": True, "SECRET_KEY": "test-secret",
                    "INSTANCE_PATH": str(tmp_path / "instance"), "TOTP_REQUIRED_ROLES": "admins"})


def test_turning_the_second_factor_off_needs_a_current_code(app, as_role, clock):
    browser = as_role("coordinator")
    secret, _ = _enrol(browser, clock)
    browser.post("/account/second-factor", {"step": "disable", "code": "123456"})
    assert "On since" in browser.get("/account/second-factor").get_data(as_text=True)
    clock["t"] += STEP
    browser.post("/account/second-factor", {"step": "disable", "code": _code(secret, clock["t"])})
    assert "Off:" in browser.get("/account/second-factor").get_data(as_text=True)
    assert "totp_disabled" in _actions(app)
    assert Browser(app.test_client()).login("coordinator").headers["Location"].endswith("/")
