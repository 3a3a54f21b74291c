"""One unit of work per request: run a service call, commit once, or roll back on its refusal.

Every face (HTML, JSON API, CLI) runs its writes through :func:`unit_of_work` and only maps the refusal it
re-raises to its own answer (a form message, a JSON body, an exit code). A refusal that must keep the audit
record of the attempt (``keep_audit``: a failed signature) commits that record before it is re-raised.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from ecrf.errors import ServiceError

T = TypeVar("T")


def unit_of_work(session: Session, action: Callable[[], T]) -> T:
    """``action()`` and one commit; on a ServiceError, roll back (or commit the kept audit record) and re-raise.

    Any other exception rolls back and propagates: the faces' error handlers answer it without a 500 page
    leaking details, and nothing half-done is stored.
    """
    try:
        result = action()
    except ServiceError as exc:
        if exc.keep_audit:
            session.commit()
        else:
            session.rollback()
        raise
    except Exception:
        session.rollback()
        raise
    session.commit()
    return result
