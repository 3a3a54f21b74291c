"""Freeze and lock of captured data (STUB until the freeze/lock work lands: everything is open).

The interface other packages code against:

* ``LockState``: OPEN, FROZEN (queries and SDV still allowed, no data change), LOCKED (nothing changes).
* ``form_state(session, form) -> LockState``: the state that applies to one stored form (its own lock, or
  one of its visit, casebook, site, study, or an "up to event" lock covering it).
"""
from __future__ import annotations

from enum import Enum

from sqlalchemy.orm import Session


class LockState(str, Enum):
    OPEN = "open"
    FROZEN = "frozen"
    LOCKED = "locked"


def form_state(session: Session, form) -> LockState:
    return LockState.LOCKED if getattr(form, "locked_at", None) is not None else LockState.OPEN
