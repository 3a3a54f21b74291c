"""The second factor: time-based one-time passwords (RFC 6238, via pyotp) and one-time recovery codes.

A user enrols on their account page: a new secret is shown as a QR code (segno, SVG) and counts once the
authenticator app's first code confirms it; ten recovery codes are then shown once and kept as argon2id
hashes. At login the code is asked after the password. Roles named in TOTP_REQUIRED_ROLES
(ECRF_REQUIRE_TOTP_ROLES, e.g. "admin,investigator") cannot log in without it: they enrol at their next login.

Every wrong code is audited and counts toward the lockout like a wrong password. Outcomes are returned, not
raised, as :func:`ecrf.auth.services.authenticate` does: a failure's audit record and count are committed.
"""
from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.trail import record
from ecrf.auth import lockout
from ecrf.auth.models import ROLES, User
from ecrf.auth.passwords import check_password, hash_password
from ecrf.auth.totp_models import RecoveryCode, TotpCredential
from ecrf.study.clock import utcnow

ISSUER = "ecrf"
#: time steps accepted either side of the server's (RFC 6238 §5.2: allow for clock drift and typing time)
DRIFT_STEPS = 1
RECOVERY_CODES = 10
#: 10 characters of 31 that are hard to misread: about 50 bits, hopeless to guess five at a time
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 10

WRONG_CODE = "The code is wrong or already used. Enter the current code from your authenticator app."
LOCKED = "This account is locked after repeated failed logins. Try again later or ask an administrator."


def required_roles(value: str | Iterable[str] | None) -> frozenset[str]:
    """The roles of the setting, checked: a misspelt role would silently leave accounts without a second factor."""
    if value is None:
        return frozenset()
    names = value.split(",") if isinstance(value, str) else list(value)
    roles = frozenset(n.strip() for n in names if n.strip())
    if unknown := sorted(roles - set(ROLES)):
        raise ValueError(f"ECRF_REQUIRE_TOTP_ROLES names unknown role(s) {', '.join(unknown)}; "
                         f"known: {', '.join(ROLES)}")
    return roles


def required(user: User) -> bool:
    """Whether this user's role must log in with a second factor."""
    return user.role in required_roles(current_app.config.get("TOTP_REQUIRED_ROLES"))


def credential(session: Session, user: User) -> TotpCredential | None:
    return session.scalar(select(TotpCredential).where(TotpCredential.user_id == user.id))


def enabled(session: Session, user: User) -> bool:
    found = credential(session, user)
    return found is not None and found.confirmed_at is not None


def start_enrolment(session: Session, user: User) -> TotpCredential:
    """A new unconfirmed secret for ``user`` (a previous unconfirmed one is replaced: it was never proven)."""
    found = credential(session, user)
    if found is not None and found.confirmed_at is not None:
        return found
    if found is None:
        found = TotpCredential(user=user, secret=pyotp.random_base32())
        session.add(found)
    else:
        found.secret, found.last_step, found.failures = pyotp.random_base32(), 0, 0
    session.flush()
    return found


@dataclass(frozen=True)
class Enrolment:
    """What the enrolment page shows: the secret as a QR code and as text to type."""

    uri: str
    secret: str

    @property
    def qr_data_uri(self) -> str:
        return segno.make(self.uri, error="m").svg_data_uri(scale=4, dark="#000", light="#fff")

    @property
    def grouped_secret(self) -> str:
        return " ".join(self.secret[i:i + 4] for i in range(0, len(self.secret), 4))


def enrolment(found: TotpCredential) -> Enrolment:
    uri = pyotp.TOTP(found.secret).provisioning_uri(name=found.user.username, issuer_name=ISSUER)
    return Enrolment(uri, found.secret)


def confirm_enrolment(session: Session, user: User, code: str) -> list[str] | None:
    """Turn the second factor on with the app's first code; the new recovery codes (shown once), or None."""
    found = credential(session, user)
    if found is None or found.confirmed_at is not None or (user.locked_until and user.locked_until > utcnow()):
        return None
    if not _accept_code(found, code):
        _failure(session, user, found, "second_factor_failed", "enrol")
        return None
    found.confirmed_at, found.failures = utcnow(), 0
    record(session, "totp_enabled", "user_account", entity_id=user.id, entity_key=user.username)
    return new_recovery_codes(session, user)


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Ten new recovery codes replacing any earlier ones; only their hashes are stored."""
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    codes = ["".join(secrets.choice(_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user=user, code_hash=hash_password(code)))
    session.flush()
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def recovery_codes_left(session: Session, user: User) -> int:
    return len(list(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                                 RecoveryCode.used_at.is_(None)))))


def verify(session: Session, user: User, code: str, purpose: str = "login") -> tuple[bool, str | None]:
    """The second step of a login (or the proof asked on the account page, ``purpose`` says which): a current TOTP
    code, or an unused recovery code, which is then spent. (True, None), or (False, the message to show)."""
    found = credential(session, user)
    if found is None or found.confirmed_at is None:
        return False, WRONG_CODE
    if user.locked_until and user.locked_until > utcnow():
        record(session, "login_refused_locked", "session", entity_id=user.id, entity_key=user.username)
        return False, LOCKED
    if _accept_code(found, code):
        method = "totp"
    elif _spend_recovery_code(session, user, code):
        method = "recovery_code"
    else:
        return False, _failure(session, user, found, "second_factor_failed", purpose)
    found.failures = 0
    record(session, "second_factor_passed", "session", entity_id=user.id, entity_key=user.username,
           new={"purpose": purpose, "method": method, "recovery_codes_left": recovery_codes_left(session, user)})
    session.flush()
    return True, None


def disable(session: Session, user: User, code: str) -> tuple[bool, str | None]:
    """Turn the second factor off, proven by a code; refused for a role that requires it."""
    if required(user):
        return False, "Your role must log in with a second factor; it cannot be turned off."
    ok, message = verify(session, user, code, "disable")
    if not ok:
        return False, message
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(row)
    session.delete(credential(session, user))
    record(session, "totp_disabled", "user_account", entity_id=user.id, entity_key=user.username)
    session.flush()
    return True, None


def _accept_code(found: TotpCredential, code: str) -> bool:
    """Whether ``code`` is the TOTP of a step near now and later than the last accepted one (no replay)."""
    code = "".join(code.split())
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return False
    totp = pyotp.TOTP(found.secret)
    now = totp.timecode(utcnow())
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if step > found.last_step and hmac.compare_digest(totp.generate_otp(step), code):
            found.last_step = step
            return True
    return False


def _spend_recovery_code(session: Session, user: User, code: str) -> bool:
    typed = "".join(ch for ch in code.lower() if ch not in " -")
    if len(typed) != _RECOVERY_LENGTH or not typed.isascii():
        return False
    for row in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                         RecoveryCode.used_at.is_(None))):
        if check_password(row.code_hash, typed):
            row.used_at = utcnow()
            return True
    return False


def _failure(session: Session, user: User, found: TotpCredential, action: str, purpose: str) -> str:
    """Audit a wrong code and count it toward the lockout, as a wrong password counts.

    ``user.failed_logins`` is the lockout counter a wrong password raises, but a correct password resets it, so
    the credential keeps its own count too: either reaching the threshold locks the account.
    """
    found.failures += 1
    over = lockout.count_failure(user, others=found.failures)
    record(session, action, "session", entity_id=user.id, entity_key=user.username,
           new={"purpose": purpose, "failed_logins": user.failed_logins, "failed_codes": found.failures})
    if over:
        found.failures = 0
        lockout.lock(session, user)
        session.flush()
        return LOCKED
    session.flush()
    return WRONG_CODE
