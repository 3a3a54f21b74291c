"""Server-side validity of web sessions: a per-user epoch, kept in the session at login.

The session cookie is signed but lives with the client, so a copy would outlive a logout. Raising the
user's epoch (logout, password change or reset) makes every session that carries an older one invalid.
"""
from __future__ import annotations

from ecrf.auth.models import User


def end_sessions(user: User) -> None:
    """End every session of ``user`` (the caller flushes and commits with the event that asks for it)."""
    user.session_epoch = (user.session_epoch or 0) + 1


def is_current(user: User, epoch: object) -> bool:
    """Whether a session carrying ``epoch`` is still valid for ``user``."""
    return isinstance(epoch, int) and epoch == (user.session_epoch or 0)
