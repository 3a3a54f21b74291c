"""A form's display status in the casebook grid (web page and API alike), decided from its facts by one pure
function, :func:`decide`.

The vocabulary, :data:`STATUSES`, from the least to the most advanced, is the one source of truth: the template's
colours and legend, and the API's ``CellStatus``, both read it. Precedence, the first that holds wins:

1. ``locked``: a database lock covers the stored form (ecrf.capture.locks);
2. ``frozen``: a freeze covers it;
3. ``signed``: a valid (not broken) signature of the form, its visit or the casebook covers it
   (ecrf.signatures.coverage.Scope.covers). An eligibility confirmation is not a signature of the data for this
   purpose (as for the outstanding-signature list: the investigator still signs the visit or the casebook).
   Complete or not: signing despite missing data is the investigator's explicit, audited decision;
4. ``verified``: the form is complete, the site's SDV plan requires at least one of its items that hold a value,
   and every such item is verified at the value it holds. A form of which the plan requires nothing (the "none"
   or "critical" rules on a form without critical items) is never "verified", only "complete": nothing was
   checked against source, so the grid does not claim it was. An incomplete form is not "verified" either: its
   verification is not finished while values are still to come;
5. ``complete``: stored complete (``FormData.status``);
6. ``in_progress``: stored, incomplete (``FormData.status`` stays "incomplete"; only the display word differs);
7. ``not_started``: nothing stored. Locks and signatures apply only to stored data, so a cell with no stored form
   is "not started" even inside a locked casebook.
"""
from __future__ import annotations

from collections.abc import Iterable

NOT_STARTED, IN_PROGRESS, COMPLETE = "not_started", "in_progress", "complete"
VERIFIED, SIGNED, FROZEN, LOCKED = "verified", "signed", "frozen", "locked"

#: every display status, from the least to the most advanced
STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETE, VERIFIED, SIGNED, FROZEN, LOCKED)

#: the word shown in each cell and the legend (a cell never says it by colour alone)
LABELS = {NOT_STARTED: "not started", IN_PROGRESS: "in progress", COMPLETE: "complete", VERIFIED: "verified",
          SIGNED: "signed", FROZEN: "frozen", LOCKED: "locked"}

#: a symbol beside the word (shape as well as colour, for a reader who does not tell the colours apart); the
#: word stays the accessible text, the symbol is hidden from screen readers
ICONS = {NOT_STARTED: "\u25cb", IN_PROGRESS: "\u25d0", COMPLETE: "\u25cf", VERIFIED: "\u2713", SIGNED: "\u270d",
         FROZEN: "\u2744", LOCKED: "\u229e"}

#: what each status means, for the legend's titles and the API's description
MEANINGS = {
    NOT_STARTED: "nothing stored yet",
    IN_PROGRESS: "stored, required items still without a value",
    COMPLETE: "stored with every required item",
    VERIFIED: "complete, and every item the SDV plan requires is verified against source",
    SIGNED: "a valid signature of the form, its visit or the casebook covers it",
    FROZEN: "a freeze covers it: no data change; queries and SDV go on",
    LOCKED: "a database lock covers it: read only",
}


def decide(*, stored: bool, complete: bool = False, lock: str = "open", signed: bool = False,
           sdv_required: int = 0, sdv_verified: int = 0) -> str:
    """The display status of one form from its facts (see the module's docstring for the precedence).

    :param stored: a FormData row exists
    :param complete: its stored status is "complete"
    :param lock: "open", "frozen" or "locked" (a ``ecrf.capture.locks.LockState`` is a str and works as well)
    :param signed: a valid form, visit or casebook signature covers it
    :param sdv_required: its items holding a value that the site's SDV plan requires verified for the subject
    :param sdv_verified: how many of those are verified at their value
    """
    if not stored:
        return NOT_STARTED
    lock = getattr(lock, "value", lock)
    if lock == LOCKED:
        return LOCKED
    if lock == FROZEN:
        return FROZEN
    if signed:
        return SIGNED
    if complete and sdv_required > 0 and sdv_verified >= sdv_required:
        return VERIFIED
    return COMPLETE if complete else IN_PROGRESS


def combine(statuses: Iterable[str]) -> str:
    """The status of a repeating form's cell from its entries': a lock or freeze of any entry shows (the lock
    first); otherwise the least advanced entry's (all signed: signed; one in progress: in progress). No entry:
    not started."""
    statuses = list(statuses)
    if not statuses:
        return NOT_STARTED
    for closed in (LOCKED, FROZEN):
        if closed in statuses:
            return closed
    return min(statuses, key=STATUSES.index)
