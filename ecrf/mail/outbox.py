"""Queue a message in the caller's transaction (the service flushes, its caller commits)."""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from ecrf.errors import AccountError
from ecrf.mail.models import OutboxMessage

# One address, no display name, no header-breaking characters: the worker sends to exactly this.
_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def address_problem(address: str) -> str | None:
    """Why ``address`` is not a deliverable e-mail address, or None."""
    if len(address) > 254 or not _ADDRESS.fullmatch(address):
        return f"{address[:60]!r} is not an e-mail address (name@example.org)."
    return None


def enqueue(session: Session, kind: str, recipient: str, subject: str, body: str) -> OutboxMessage:
    """A queued message, stored with the caller's transaction: it exists exactly when the event does."""
    if problem := address_problem(recipient):
        raise AccountError(problem)
    message = OutboxMessage(kind=kind, recipient=recipient, subject=subject.replace("\n", " ")[:200], body=body)
    session.add(message)
    session.flush()
    return message
