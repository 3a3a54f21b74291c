"""Accounts: login with lockout, creation, roles and sites, deactivation, password resets.

Every change here is an audited row change or a named audit event; services
flush, the caller commits.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import lockout
from ecrf.auth.models import ROLES, PasswordResetToken, Site, User, UserSite
from ecrf.auth.passwords import check_password, hash_password, policy_problem
from ecrf.auth.sessions import end_sessions
from ecrf.errors import AccountError, PasswordCheckFailed
from ecrf.study.clock import utcnow

#: one answer for an unknown user, a wrong password, a locked or a deactivated account: none is revealed
LOGIN_REFUSED = ("Unknown username or wrong password. After repeated failures an account is locked for a while: "
                 "try again later or ask an administrator.")


def authenticate(session: Session, username: str, password: str) -> tuple[User | None, str | None]:
    """The user if the credentials are right and the account usable, else (None, LOGIN_REFUSED).

    Every path verifies one password hash (a dummy one for an unknown user), so neither the message nor the
    time taken tells an unknown username from a wrong password or a locked account. Wrong passwords count
    toward the lockout (ecrf.auth.lockout). Failures are recorded with the caller's actor (the client).
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password(None, password)
        record(session, "login_failed", "session", new={"username": username[:80]}, entity_key=username[:80])
        return None, LOGIN_REFUSED
    outcome = lockout.check(session, user, password)
    if outcome is lockout.Outcome.LOCKED:
        record(session, "login_refused_locked", "session", entity_id=user.id, entity_key=user.username)
        return None, LOGIN_REFUSED
    if not user.is_active_account:
        record(session, "login_refused_inactive", "session", entity_id=user.id, entity_key=user.username)
        return None, LOGIN_REFUSED
    if outcome is lockout.Outcome.WRONG:
        record(session, "login_failed", "session", entity_id=user.id, entity_key=user.username,
               new={"failed_logins": user.failed_logins})
        return None, LOGIN_REFUSED
    user.last_login_at = utcnow()
    set_actor(session, Actor.of(user))
    record(session, "login", "session", entity_id=user.id, entity_key=user.username)
    session.flush()
    return user, None


def _sites(session: Session, codes: list[str]) -> list[Site]:
    sites = list(session.scalars(select(Site).where(Site.code.in_(codes))))
    missing = set(codes) - {s.code for s in sites}
    if missing:
        raise AccountError(f"Unknown site(s): {', '.join(sorted(missing))}.")
    return sites


def create_user(session: Session, username: str, full_name: str, role: str, site_codes: list[str],
                password: str | None = None) -> User:
    """A new account; without a password the user sets one through a reset link."""
    username = username.strip()
    if not username or len(username) > 80 or not username.replace("_", "").replace(".", "").isalnum():
        raise AccountError("A username is 1-80 letters, digits, dots or underscores.")
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; one of {', '.join(ROLES)}.")
    if session.scalar(select(User.id).where(User.username == username)):
        raise AccountError(f"The username {username} exists (usernames are never reused).")
    if role != "admin" and not site_codes:
        raise AccountError("Every user other than an admin belongs to at least one site.")
    user = User(username=username, full_name=full_name.strip() or username, role=role)
    if password is not None:
        _set_password(user, password)
    user.memberships = [UserSite(site=s) for s in _sites(session, site_codes)]
    session.add(user)
    session.flush()
    return user


def _set_password(user: User, password: str) -> None:
    if problem := policy_problem(password, user.username):
        raise AccountError(problem)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    end_sessions(user)  # a session opened with the old password ends, wherever it is


def change_password(session: Session, user: User, current: str, new: str) -> None:
    """A user changes their own password, proving the current one (a wrong one counts toward the lockout)."""
    outcome = lockout.check(session, user, current)
    if outcome is not lockout.Outcome.OK:
        record(session, "password_change_failed", "user_account", entity_id=user.id, entity_key=user.username,
               new={"locked": outcome is lockout.Outcome.LOCKED})
        if outcome is lockout.Outcome.LOCKED:
            raise PasswordCheckFailed("Your account is locked after repeated wrong passwords; "
                                      "try again later or ask an administrator.")
        raise PasswordCheckFailed("The current password is wrong.")
    _set_password(user, new)
    session.flush()


def update_access(session: Session, user: User, role: str, site_codes: list[str]) -> None:
    """Change a user's role and sites (each change is audited by the row listener)."""
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    if role != "admin" and not site_codes:
        raise AccountError("Every user other than an admin belongs to at least one site.")
    wanted = {s.id: s for s in _sites(session, site_codes)}
    user.role = role
    for membership in list(user.memberships):
        if membership.site_id not in wanted:
            user.memberships.remove(membership)
            session.delete(membership)
    for site_id, site in wanted.items():
        if site_id not in user.site_ids:
            user.memberships.append(UserSite(site=site))
    session.flush()


def set_active(session: Session, user: User, active: bool) -> None:
    """Deactivate (or reactivate) an account; accounts are never deleted."""
    user.is_active_account = active
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_reset_token(session: Session, user: User, issued_by: User | None) -> str:
    """A one-time token (shown once, stored hashed) with which the user sets a password."""
    token = secrets.token_urlsafe(32)
    hours = current_app.config["RESET_TOKEN_HOURS"]
    session.add(PasswordResetToken(user=user, token_hash=_token_hash(token), created_by_id=issued_by and issued_by.id,
                                   expires_at=utcnow() + timedelta(hours=hours)))
    session.flush()
    return token


def token_user(session: Session, token: str) -> PasswordResetToken | None:
    """The unexpired, unused reset token record for ``token``."""
    row = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow() or not row.user.is_active_account:
        return None
    return row


def reset_password(session: Session, token: str, new: str) -> User:
    """Use a reset token once to set a new password; also lifts a lockout."""
    row = token_user(session, token)
    if row is None:
        raise AccountError("This link is invalid, used or expired. Ask an administrator for a new one.")
    _set_password(row.user, new)
    row.used_at = utcnow()
    row.user.locked_until, row.user.failed_logins = None, 0
    session.flush()
    return row.user


def create_site(session: Session, code: str, name: str, timezone: str = "UTC") -> Site:
    """A new site."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    code = code.strip()
    if not code or len(code) > 20 or not code.replace("-", "").isalnum():
        raise AccountError("A site code is 1-20 letters, digits or dashes.")
    if session.scalar(select(Site.id).where(Site.code == code)):
        raise AccountError(f"Site {code} exists.")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise AccountError(f"Unknown time zone {timezone!r}.") from None
    site = Site(code=code, name=name.strip() or code, timezone=timezone)
    session.add(site)
    session.flush()
    return site
