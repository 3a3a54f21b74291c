"""API tokens: issue (shown once, stored as SHA-256), authenticate, list and revoke. Services flush, callers commit."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.lockout import is_locked
from ecrf.auth.models import ApiToken, User
from ecrf.auth.permissions import can
from ecrf.errors import TokenError
from ecrf.study.clock import utcnow

SCHEME = "ecrf_"
PREFIX_LENGTH = 10
MAX_EXPIRY_DAYS = 3650
#: ``last_used_at`` is written at most this often, so reads do not write on every request
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class Check:
    """The outcome of presenting a token: the token row when usable, else why not."""

    token: ApiToken | None
    problem: str | None = None  # unknown | revoked | expired | inactive_user | locked_user


def token_hash(raw: str) -> str:
    """SHA-256 (hex) of a token as presented."""
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def issue(session: Session, user: User, *, label: str = "", expires_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the token, which is never stored or shown again."""
    label = (label or "").strip()
    if len(label) > 100 or any(ord(c) < 32 for c in label):
        raise TokenError("A label is at most 100 printable characters.")
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise TokenError(f"A token expires after 1 to {MAX_EXPIRY_DAYS} days (or never).")
    if not user.is_active_account:
        raise TokenError(f"The account {user.username} is deactivated.")
    raw = SCHEME + secrets.token_urlsafe(32)
    row = ApiToken(user=user, prefix=raw[:PREFIX_LENGTH], token_hash=token_hash(raw), label=label,
                   expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None)
    session.add(row)
    session.flush()
    return row, raw


def check(session: Session, raw: str) -> Check:
    """Whether ``raw`` is a usable token: known, not revoked, not expired, its user active and not locked."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(raw)))
    now = utcnow()
    if row is None:
        return Check(None, "unknown")
    if row.revoked_at is not None:
        return Check(None, "revoked")
    if row.expires_at is not None and row.expires_at <= now:
        return Check(None, "expired")
    if not row.user.is_active_account:
        return Check(None, "inactive_user")
    if is_locked(row.user, now):  # wrong passwords anywhere lock the account's tokens too
        return Check(None, "locked_user")
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_INTERVAL:
        row.last_used_at = now
        session.flush()
    return Check(row)


def visible(session: Session, user: User) -> list[ApiToken]:
    """The tokens ``user`` may see and revoke: their own, or everyone's for an admin; newest first."""
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if not can(user, "revoke_any_token"):
        stmt = stmt.where(ApiToken.user_id == user.id)
    return list(session.scalars(stmt))


def revoke(session: Session, token: ApiToken) -> bool:
    """Revoke ``token`` (audited as a row update); False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.flush()
    return True


def revoke_all(session: Session, user: User) -> int:
    """Revoke every live token of ``user`` (each audited as a row update); how many were revoked."""
    live = list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))))
    revoked = sum(revoke(session, token) for token in live)
    session.flush()
    return revoked


def status(token: ApiToken) -> str:
    """active, revoked or expired, for lists."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= utcnow():
        return "expired"
    return "active"
