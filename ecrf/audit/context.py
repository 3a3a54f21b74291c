"""Who is acting and why, carried on the SQLAlchemy session for the audit listener."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Actor:
    """The user (or system process) responsible for the writes of a session."""

    user_id: int | None
    username: str
    role: str | None = None
    sites: str | None = None  # site codes, comma-separated, at the time

    @classmethod
    def of(cls, user) -> Actor:
        return cls(user.id, user.username, user.role, ",".join(sorted(s.code for s in user.sites)) or None)


SYSTEM = Actor(None, "system", "system")


def set_actor(session: Session, actor: Actor) -> None:
    session.info["audit_actor"] = actor


def get_actor(session: Session) -> Actor:
    return session.info.get("audit_actor", SYSTEM)


@contextmanager
def reason(session: Session, text: str | None):
    """Attach a reason for change to every record written inside the block."""
    previous = session.info.get("audit_reason")
    session.info["audit_reason"] = text
    try:
        yield
    finally:
        session.info["audit_reason"] = previous
