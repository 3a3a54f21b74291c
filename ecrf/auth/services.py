"""Accounts: login with lockout, creation, roles and sites, deactivation, password resets.

Every change here is an audited row change or a named audit event; services
flush, the caller commits. A reset link goes by mail to the user only (through the outbox, in the same
transaction): no administrator ever sees a link or a password, so none can take an account over.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import lockout, tokens
from ecrf.auth.models import ROLES, PasswordHistory, PasswordResetToken, Site, User, UserSite
from ecrf.auth.passwords import check_password, hash_password, policy_problem
from ecrf.auth.sessions import end_sessions
from ecrf.errors import AccountError, PasswordCheckFailed, SelfGrantRefused
from ecrf.mail.outbox import address_problem, enqueue
from ecrf.study.clock import utcnow

#: one answer for an unknown user, a wrong password, a locked or a deactivated account: none is revealed
LOGIN_REFUSED = ("Unknown username or wrong password. After repeated failures an account is locked for a while: "
                 "try again later or ask an administrator.")

# ASCII only: a Cyrillic "а" looks like a Latin "a", and "аdmin" must not pass for "admin"
_USERNAME = re.compile(r"[A-Za-z0-9._]{1,80}")


def _unknown_username_key(username: str) -> str:
    """What the audit trail keeps of a login name that is no account: a keyed hash, never the text.

    People type their password into the username field; the trail must not keep it, but repeated attempts
    with one name should still be recognisable as such (same key), and not reversible without the app key.
    """
    digest = hmac.new(current_app.config["SECRET_KEY"].encode(), username.encode("utf-8", "surrogatepass"),
                      hashlib.sha256).hexdigest()
    return f"unknown:{digest[:16]}"


def authenticate(session: Session, username: str, password: str) -> tuple[User | None, str | None]:
    """The user if the credentials are right and the account usable, else (None, LOGIN_REFUSED).

    Every path verifies one password hash (a dummy one for an unknown user), so neither the message nor the
    time taken tells an unknown username from a wrong password or a locked account. Wrong passwords count
    toward the lockout (ecrf.auth.lockout). Failures are recorded with the caller's actor (the client).
    """
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password(None, password)  # the same work as for a real account: no timing tells it apart
        record(session, "login_failed", "session", entity_key=_unknown_username_key(username))
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
                password: str | None = None, *, email: str | None = None) -> User:
    """A new account; without a password the user sets one through a link mailed to ``email``."""
    username = username.strip()
    if not _USERNAME.fullmatch(username):
        raise AccountError("A username is 1-80 ASCII letters (a-z, A-Z), digits, dots or underscores.")
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}; one of {', '.join(ROLES)}.")
    # case-blind: "Admin" next to "admin" is a look-alike too
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise AccountError(f"The username {username} exists (usernames are never reused).")
    if role != "admin" and not site_codes:
        raise AccountError("Every user other than an admin belongs to at least one site.")
    email = (email or "").strip() or None
    if email is not None and (problem := address_problem(email)):
        raise AccountError(problem)
    user = User(username=username, full_name=full_name.strip() or username, role=role, email=email)
    user.memberships = [UserSite(site=s) for s in _sites(session, site_codes)]
    session.add(user)
    if password is not None:
        _set_password(session, user, password)
    session.flush()
    return user


def _recent_hashes(session: Session, user: User) -> list[str]:
    """The hashes of the user's last passwords (the current one included), newest first."""
    keep = current_app.config["PASSWORD_HISTORY"]
    hashes = [] if user.id is None else list(session.scalars(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.id.desc()).limit(keep)))
    if user.password_hash and user.password_hash not in hashes:
        hashes.insert(0, user.password_hash)  # set before histories were kept
    return hashes[:keep]


def _set_password(session: Session, user: User, password: str) -> None:
    if problem := policy_problem(password, user.username):
        raise AccountError(problem)
    if any(check_password(old, password) for old in _recent_hashes(session, user)):
        raise AccountError(f"The password must differ from your last {current_app.config['PASSWORD_HISTORY']} "
                           "passwords.")
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.flush()  # the user's id, for a new account
    session.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash))
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
    _set_password(session, user, new)
    session.flush()


def _refuse_self_grant(session: Session, user: User, by: User | None, what: str) -> None:
    """An administrator never changes their own access: a second administrator has to (four eyes)."""
    if by is not None and by.id == user.id:
        record(session, "access_change_refused", "user_account", entity_id=user.id, entity_key=user.username,
               new={"change": what})
        raise SelfGrantRefused("You cannot change your own role or sites; another administrator has to.")


def update_access(session: Session, user: User, role: str, site_codes: list[str], by: User | None = None) -> None:
    """Change a user's role and sites (each change is audited by the row listener); never one's own."""
    _refuse_self_grant(session, user, by, "role and sites")
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


def _issue_reset_token(session: Session, user: User, issued_by: User | None) -> str:
    """A one-time token (stored hashed) with which the user sets a password; it leaves only by mail.

    Only the newest link works: earlier unused ones are spent, so an old mail found later opens nothing."""
    _spend_open_tokens(session, user)
    token = secrets.token_urlsafe(32)
    hours = current_app.config["RESET_TOKEN_HOURS"]
    session.add(PasswordResetToken(user=user, token_hash=_token_hash(token), created_by_id=issued_by and issued_by.id,
                                   expires_at=utcnow() + timedelta(hours=hours)))
    session.flush()
    return token


def _spend_open_tokens(session: Session, user: User) -> None:
    now = utcnow()
    for row in session.scalars(select(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                                PasswordResetToken.used_at.is_(None))):
        row.used_at = now


def send_reset_mail(session: Session, user: User, issued_by: User | None, link: Callable[[str], str],
                    *, welcome: bool = False) -> None:
    """Mail ``user`` a one-time link (``link(token)``) to set their password, through the outbox.

    Nothing is returned: whoever asks for the reset never holds the token. The mail is queued in the
    caller's transaction, so it exists exactly when the token does.
    """
    if not user.is_active_account:
        raise AccountError(f"The account {user.username} is deactivated.")
    if not user.email:
        raise AccountError(f"{user.username} has no e-mail address; a reset link can only be mailed to its owner.")
    token = _issue_reset_token(session, user, issued_by)
    hours = current_app.config["RESET_TOKEN_HOURS"]
    opening = ("An account was made for you in the CART19-SLE eCRF." if welcome
               else "Someone asked for a new password for your account in the CART19-SLE eCRF.")
    enqueue(session, "account_created" if welcome else "password_reset", user.email,
            "Set your eCRF password" if welcome else "Reset your eCRF password",
            f"Dear {user.full_name},\n\n{opening}\nUsername: {user.username}\n\n"
            f"Set your password with this link; it works once, for {hours} hour(s):\n{link(token)}\n\n"
            "If you did not expect this mail, ignore it and tell your administrator.\n")
    record(session, "password_reset_mailed", "user_account", entity_id=user.id, entity_key=user.username,
           new={"to": user.email, "kind": "welcome" if welcome else "reset"})


def token_user(session: Session, token: str) -> PasswordResetToken | None:
    """The unexpired, unused reset token record for ``token``."""
    row = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token)))
    if row is None or row.used_at is not None or row.expires_at < utcnow() or not row.user.is_active_account:
        return None
    return row


def reset_password(session: Session, token: str, new: str) -> User:
    """Use a reset token once to set a new password; lifts a lockout, ends sessions, revokes API tokens."""
    row = token_user(session, token)
    if row is None:
        raise AccountError("This link is invalid, used or expired. Ask an administrator for a new one.")
    user = row.user
    _set_password(session, user, new)
    _spend_open_tokens(session, user)
    user.locked_until, user.failed_logins = None, 0
    # whoever held the old password (or a copied cookie: _set_password ended the sessions, or a token) is out
    revoked = tokens.revoke_all(session, user)
    record(session, "password_reset", "user_account", entity_id=user.id, entity_key=user.username,
           new={"api_tokens_revoked": revoked})
    session.flush()
    return user


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
