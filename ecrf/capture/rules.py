"""The trial rules that capture runs around every save of a form, as one explicit, ordered list.

A *gate* takes (session, target, origin) and refuses a form that cannot be entered at all yet, whatever its
values (no consent, a step that must come first, a form a service owns); gates read nothing from the form, so the
same function answers both when the form is opened (shown read-only, with the refusal and a link to what comes
first) and at every save, before anything else; the first gate refusal wins.
A *check* takes (session, target, cleaned values, origin) before anything is written and raises Refused with a
message the user can act on (naming the item it concerns, where it concerns one); every check runs, so that a save
shows all its problems at once, and a check may raise several (``ecrf.errors.Refusals``). A *writer* takes
(session, target, saved form, origin) after the flush, in the same transaction, and may write data in
consequence (a positive pregnancy test opens a report); writers are named for what they write.
``origin`` says who writes: "entry" (web form or API) or a service name.

An *observer* takes (session, form, changed, user_id) after every write of item values by capture, whatever
the path (a save, a recomputed calculated value): ``changed`` maps each item OID whose value changed to its new
value. Monitoring keeps its state true through them (an item's verification is reset, a signature over the
data is broken). A *findings sink* takes (session, form, findings, user_id) after a save with the soft edit-check
findings that hold for the form now (``ecrf.study.checks.Finding``), the full list each time, so that the sink
can open what is new and close what no longer holds.

Capture knows the shape of a rule, never the rules: the trial's list (``ecrf.rules.TRIAL_RULES``) is given to it
by the application factory with :func:`install`, and tests may give it another.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ecrf.errors import Refusals, Refused

Gate = Callable[..., None]
Check = Callable[..., None]
Writer = Callable[..., None]
Observer = Callable[..., None]
FindingsSink = Callable[..., None]


@dataclass(frozen=True)
class RuleSet:
    """Gates and checks before the write, then writers after it, each in the order given."""

    gates: tuple[Gate, ...] = ()
    checks: tuple[Check, ...] = ()
    writers: tuple[Writer, ...] = ()
    observers: tuple[Observer, ...] = ()
    findings: tuple[FindingsSink, ...] = ()


_installed = RuleSet()


def install(rules: RuleSet) -> None:
    """Give capture the rules it runs (at application start)."""
    global _installed
    _installed = rules


def installed() -> RuleSet:
    return _installed


def gate(session, target, origin: str = "entry") -> Refused | None:
    """Why the form cannot be entered at all yet (the first gate refusing it), or None."""
    for fn in _installed.gates:
        try:
            fn(session, target, origin)
        except Refused as exc:
            return exc
    return None


def problems(session, target, values, origin: str = "entry") -> Refused | None:
    """Every refusal of the checks over ``values`` (gates not included), in one; None when all hold."""
    found: list[Refused] = []
    for fn in _installed.checks:
        try:
            fn(session, target, values, origin)
        except Refused as exc:
            found.append(exc)
    return Refusals.of(found)


def check(session, target, values, origin: str = "entry") -> None:
    """Run the gates (the first refusal wins), then every check, raising all their refusals at once."""
    if (refused := gate(session, target, origin) or problems(session, target, values, origin)) is not None:
        raise refused


def after_save(session, target, form, origin: str = "entry") -> None:
    """Run every writer, in order, in the save's transaction."""
    for fn in _installed.writers:
        fn(session, target, form, origin)


def changed(session, form, values: dict, user_id: int | None) -> None:
    """Tell every observer which item values of ``form`` changed (OID -> new value), after the flush."""
    if values:
        for fn in _installed.observers:
            fn(session, form, values, user_id)


def found(session, form, findings: list, user_id: int | None) -> None:
    """Give every findings sink the soft edit-check findings that hold for ``form`` now (possibly none)."""
    for fn in _installed.findings:
        fn(session, form, findings, user_id)
