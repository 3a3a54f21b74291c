"""Trial rules run around every save of a form.

A guard takes (session, target, cleaned values, origin) before anything is
written and raises Refused with a message the user can act on. A hook takes
(session, target, saved form, origin) after the flush, in the same
transaction, for consequences (a positive pregnancy test opens a report).
``origin`` says who writes: "entry" (web form or API) or a service name.
The trial's path registers its guards and hooks; the capture service runs them.
"""
from __future__ import annotations

from collections.abc import Callable

GUARDS: list[Callable] = []
HOOKS: list[Callable] = []


def guard(fn: Callable) -> Callable:
    """Register a guard."""
    GUARDS.append(fn)
    return fn


def hook(fn: Callable) -> Callable:
    """Register an after-save hook."""
    HOOKS.append(fn)
    return fn


def check(session, target, values, origin: str = "entry") -> None:
    """Run every guard; the first refusal wins."""
    for fn in GUARDS:
        fn(session, target, values, origin)


def after_save(session, target, form, origin: str = "entry") -> None:
    for fn in HOOKS:
        fn(session, target, form, origin)
