"""A subject's status, and the only way it changes.

    screening -> enrolled -> infused -> follow_up -> completed
    screening -> screen_failed
    any active status -> withdrawn (consent withdrawn, or an early termination on the end-of-study form)

Every transition goes through :func:`move`, which refuses one the trial's path does not allow; the audit
listener records the change like any other.
"""
from __future__ import annotations

from ecrf.errors import Refused

STATUSES = ("screening", "screen_failed", "enrolled", "infused", "follow_up", "completed", "withdrawn")
#: statuses in which the subject is still on the trial's path (re-consent, visits due ...)
ACTIVE = ("screening", "enrolled", "infused", "follow_up")
#: statuses from enrolment on (a subject number and a dose level are assigned)
ENROLLED = ("enrolled", "infused", "follow_up", "completed")

ALLOWED: dict[str, frozenset[str]] = {
    "screening": frozenset({"screen_failed", "enrolled", "withdrawn"}),
    "enrolled": frozenset({"infused", "completed", "withdrawn"}),
    "infused": frozenset({"follow_up", "completed", "withdrawn"}),
    "follow_up": frozenset({"completed", "withdrawn"}),
    # a screen-failed subject may still withdraw consent (data use); nothing leaves completed or withdrawn
    "screen_failed": frozenset({"withdrawn"}),
    "completed": frozenset(),
    "withdrawn": frozenset(),
}


def can_move(current: str, to: str) -> bool:
    return to == current or to in ALLOWED.get(current, frozenset())


def move(subject, to: str) -> None:
    """Set the subject's status to ``to`` (no-op if it is already there); Refused if the path forbids it."""
    if to not in STATUSES:
        raise ValueError(f"unknown subject status {to!r}")
    if not can_move(subject.status, to):
        raise Refused(f"The subject is {subject.status.replace('_', ' ')}; it cannot become "
                      f"{to.replace('_', ' ')}.")
    subject.status = to
