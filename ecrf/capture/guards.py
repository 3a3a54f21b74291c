"""Trial rules checked before any data is written to a form.

Each guard takes (session, target, cleaned values) and raises Refused with a
message the user can act on. The trial's path (consent, order of steps)
registers its guards here; the capture service calls them all.
"""
from __future__ import annotations

from collections.abc import Callable

GUARDS: list[Callable] = []


def guard(fn: Callable) -> Callable:
    """Register a guard."""
    GUARDS.append(fn)
    return fn


def check(session, target, values) -> None:
    """Run every guard; the first refusal wins."""
    for fn in GUARDS:
        fn(session, target, values)
