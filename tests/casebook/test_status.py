"""The casebook's display status of a form, as a pure function: the precedence table, exhaustively."""
from __future__ import annotations

import itertools

import pytest

from ecrf.capture.locks import LockState
from ecrf.casebook import status
from ecrf.casebook.status import combine, decide

LOCKS = ("open", "frozen", "locked")
SDV = {"nothing required": (0, 0), "pending": (3, 2), "all verified": (3, 3)}


def _expected(stored, complete, lock, signed, sdv):
    """The table, written out independently of decide()."""
    required, verified = SDV[sdv]
    if not stored:
        return "not_started"
    if lock != "open":
        return lock
    if signed:
        return "signed"
    if complete and required and verified == required:
        return "verified"
    return "complete" if complete else "in_progress"


CASES = list(itertools.product((False, True), (False, True), LOCKS, (False, True), SDV))


@pytest.mark.parametrize("stored, complete, lock, signed, sdv", CASES)
def test_the_precedence_table(stored, complete, lock, signed, sdv):
    required, verified = SDV[sdv]
    got = decide(stored=stored, complete=complete, lock=lock, signed=signed, sdv_required=required,
                 sdv_verified=verified)
    assert got == _expected(stored, complete, lock, signed, sdv)
    assert got in status.STATUSES


@pytest.mark.parametrize("facts, expected", [
    ({"stored": False, "complete": True, "lock": "locked", "signed": True, "sdv_required": 1, "sdv_verified": 1},
     "not_started"),  # nothing stored: nothing to lock, sign or verify
    ({"stored": True, "complete": True, "lock": "locked", "signed": True, "sdv_required": 1, "sdv_verified": 1},
     "locked"),
    ({"stored": True, "complete": True, "lock": "frozen", "signed": True, "sdv_required": 1, "sdv_verified": 1},
     "frozen"),
    ({"stored": True, "complete": True, "signed": True, "sdv_required": 1, "sdv_verified": 1}, "signed"),
    ({"stored": True, "complete": False, "signed": True}, "signed"),  # signed despite missing data
    ({"stored": True, "complete": True, "sdv_required": 1, "sdv_verified": 1}, "verified"),
    ({"stored": True, "complete": False, "sdv_required": 1, "sdv_verified": 1}, "in_progress"),
    ({"stored": True, "complete": True, "sdv_required": 0, "sdv_verified": 0}, "complete"),  # nothing required
    ({"stored": True, "complete": True, "sdv_required": 2, "sdv_verified": 1}, "complete"),
    ({"stored": True, "complete": False}, "in_progress"),
    ({"stored": False}, "not_started"),
])
def test_each_rung_of_the_ladder(facts, expected):
    assert decide(**facts) == expected


@pytest.mark.parametrize("lock, expected", [(LockState.OPEN, "complete"), (LockState.FROZEN, "frozen"),
                                            (LockState.LOCKED, "locked")])
def test_a_lock_state_is_accepted_as_it_is(lock, expected):
    assert decide(stored=True, complete=True, lock=lock) == expected


@pytest.mark.parametrize("entries, expected", [
    ((), "not_started"),
    (("complete", "complete"), "complete"),
    (("complete", "in_progress"), "in_progress"),
    (("signed", "verified"), "verified"),
    (("signed", "signed"), "signed"),
    (("complete", "frozen"), "frozen"),
    (("frozen", "locked", "in_progress"), "locked"),
])
def test_a_repeating_forms_cell_combines_its_entries(entries, expected):
    assert combine(entries) == expected


def test_one_vocabulary_with_a_word_and_a_meaning_each():
    assert status.STATUSES == ("not_started", "in_progress", "complete", "verified", "signed", "frozen", "locked")
    assert set(status.LABELS) == set(status.MEANINGS) == set(status.STATUSES)
    assert "incomplete" not in status.STATUSES  # the stored FormData.status word, not a display status
    from typing import get_args

    from ecrf.api.replies import CellStatus
    assert get_args(CellStatus) == status.STATUSES
