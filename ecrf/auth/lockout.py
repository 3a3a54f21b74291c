"""Every password check counts: a wrong password at login, at a password change or at an e-signature adds
to the same counter, and the threshold locks the account (LOCKOUT_THRESHOLD failures in a row lock it for
LOCKOUT_MINUTES). A locked account can neither log in, nor sign, nor use its API tokens.

Callers record their own failure event (login_failed, password_change_failed, signature_failed); the lockout
itself is recorded here. Services flush, callers commit: a refused attempt keeps its count and records
(``keep_audit``, or the login's unit of work that commits failures as outcomes).
"""
from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from ecrf.audit.trail import record
from ecrf.auth.models import User
from ecrf.auth.passwords import check_password
from ecrf.study.clock import utcnow


class Outcome(enum.Enum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.locked_until is not None and user.locked_until > (now or utcnow())


def check(session: Session, user: User, password: str) -> Outcome:
    """Check ``user``'s password, counting a failure; LOCKED whenever the account is locked, right or wrong.

    The hash is verified even for a locked account, so every answer takes the same time.
    """
    now = utcnow()
    matches = check_password(user.password_hash, password)
    if is_locked(user, now):
        return Outcome.LOCKED
    if matches:
        user.failed_logins, user.locked_until = 0, None
        session.flush()
        return Outcome.OK
    if count_failure(user):
        lock(session, user, now)
    session.flush()
    return Outcome.WRONG


def count_failure(user: User, others: int = 0) -> bool:
    """Count one failed check of ``user``'s credentials; True when the threshold is reached (``others``: another
    count of the same person's failures, e.g. wrong second-factor codes, which a right password does not reset)."""
    user.failed_logins = (user.failed_logins or 0) + 1
    return max(user.failed_logins, others) >= current_app.config["LOCKOUT_THRESHOLD"]


def lock(session: Session, user: User, now: datetime | None = None) -> None:
    """Lock the account for LOCKOUT_MINUTES, and record it."""
    user.locked_until = (now or utcnow()) + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
    user.failed_logins = 0
    record(session, "lockout", "session", entity_id=user.id, entity_key=user.username,
           new={"locked_until": user.locked_until})
