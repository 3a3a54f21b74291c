"""Rate limits on failed logins per client, counted in the audit trail itself.

A failed web login is recorded with the actor ``anonymous@<client address>``; the newest of those records
(on the (username, seq) index) tell how many failures a client had in the last minute, across every worker
process, without a table of their own. The per-account limit is the lockout (ecrf.auth.lockout).

The address is the peer's, or the one a trusted reverse proxy forwarded (ECRF_TRUSTED_PROXIES): behind a
proxy that is not declared every client shares the proxy's address.
"""
from __future__ import annotations

import math
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.models import AuditEvent
from ecrf.study.clock import utcnow

WINDOW = timedelta(minutes=1)
#: the audit actions of a refused web login
LOGIN_FAILURES = ("login_failed", "login_refused_locked", "login_refused_inactive")


def client_name(address: str | None) -> str:
    """The audit username of a client that has not (yet) authenticated."""
    return f"anonymous@{(address or 'unknown')[:60]}"


def seconds_to_wait(session: Session, username: str, actions: tuple[str, ...], limit: int) -> int | None:
    """Seconds until ``username`` may try again, when its last ``limit`` ``actions`` all fall within the window."""
    if limit < 1:
        return None
    times = session.scalars(
        select(AuditEvent.ts).where(AuditEvent.username == username, AuditEvent.action.in_(actions))
        .order_by(AuditEvent.seq.desc()).limit(limit)).all()
    now = utcnow()
    if len(times) >= limit and now - times[-1] < WINDOW:
        return max(1, math.ceil((times[-1] + WINDOW - now).total_seconds()))
    return None


def login_wait(session: Session, address: str | None) -> int | None:
    """Seconds the client at ``address`` must wait after LOGIN_FAILURES_PER_MINUTE failed logins, or None."""
    return seconds_to_wait(session, client_name(address), LOGIN_FAILURES,
                           current_app.config["LOGIN_FAILURES_PER_MINUTE"])
