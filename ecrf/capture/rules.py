"""The trial rules that capture runs around every save of a form, as one explicit, ordered list.

A *check* takes (session, target, cleaned values, origin) before anything is written and raises Refused with a
message the user can act on; checks run in their order and the first refusal wins. A *writer* takes
(session, target, saved form, origin) after the flush, in the same transaction, and may write data in
consequence (a positive pregnancy test opens a report); writers are named for what they write.
``origin`` says who writes: "entry" (web form or API) or a service name.

Capture knows the shape of a rule, never the rules: the trial's list (``ecrf.rules.TRIAL_RULES``) is given to it
by the application factory with :func:`install`, and tests may give it another.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Check = Callable[..., None]
Writer = Callable[..., None]


@dataclass(frozen=True)
class RuleSet:
    """Checks before the write, then writers after it, each in the order given."""

    checks: tuple[Check, ...] = ()
    writers: tuple[Writer, ...] = ()


_installed = RuleSet()


def install(rules: RuleSet) -> None:
    """Give capture the rules it runs (at application start)."""
    global _installed
    _installed = rules


def installed() -> RuleSet:
    return _installed


def check(session, target, values, origin: str = "entry") -> None:
    """Run every check; the first refusal wins."""
    for fn in _installed.checks:
        fn(session, target, values, origin)


def after_save(session, target, form, origin: str = "entry") -> None:
    """Run every writer, in order, in the save's transaction."""
    for fn in _installed.writers:
        fn(session, target, form, origin)
