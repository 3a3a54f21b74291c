"""Reasons for change after a form was first completed (21 CFR 11.10(e), ICH E6(R3) 4.2.2).

``audit_event.reason`` stores a reason as a code with parameters (see ``ecrf.study.messages``), e.g.
``{"code":"TRANSCRIPTION","note":"typed in the wrong row"}``: the note is the user's own words, stored as
typed; the words for the code come from ``ecrf.study.words`` in the reader's language. Rows written before
codes hold an English sentence ("Transcription error: ..."); they are hashed and append-only, so they stay
as they are and are shown as they are.
"""
from __future__ import annotations

from collections.abc import Iterable

from ecrf.study.messages import Msg, decode, encode
from ecrf.study.types import codelist

#: what a user chooses; the labels are also the English words for the codes
REASONS = codelist(
    "CL.REASON", "Reason for change",
    ("TRANSCRIPTION", "Transcription error"),
    ("SOURCE_UPDATED", "Source document updated"),
    ("QUERY", "Query response"),
    ("LATE_RESULT", "Late result received"),
    ("OTHER", "Other (explain)"),
)

#: reasons the system gives for its own writes (a user never chooses them)
RECALCULATED = "RECALCULATED"  # a derived value recomputed because a source value changed; sources: item OIDs
FORMAT_MIGRATED = "FORMAT_MIGRATED"  # stored text rewritten from English sentences to codes; revision: Alembic id
#: a visit's date recomputed from its declared visit-date item (StudyEvent.date_item); revision: Alembic id
VISIT_DATE_RULE = "VISIT_DATE_RULE"
SYSTEM_REASONS = (RECALCULATED, FORMAT_MIGRATED, VISIT_DATE_RULE)

NOTE_MAX = 1000


def change_reason(code: str | None, note: str | None) -> tuple[str | None, str | None]:
    """(the stored audit reason, an error message) from a user's chosen code and free-text note."""
    note = (note or "").strip()
    if not code:
        return None, "A reason for change is required: this form was already completed."
    if code not in REASONS.values:
        return None, "Choose a reason from the list."
    if code == "OTHER" and not note:
        return None, "Explain the reason for change."
    if len(note) > NOTE_MAX:
        return None, f"The explanation is too long (at most {NOTE_MAX} characters)."
    return (encode(Msg(code, note=note)) if note else encode(Msg(code))), None


def recalculated(sources: Iterable[str]) -> str:
    """The stored reason of a derived value recomputed after a change to ``sources`` (item OIDs)."""
    return encode(Msg(RECALCULATED, sources=sorted(set(sources))))


def format_migrated(revision: str) -> str:
    """The stored reason of a row a migration rewrote from English text to codes."""
    return encode(Msg(FORMAT_MIGRATED, revision=revision))


def visit_date_rule(revision: str) -> str:
    """The stored reason of a visit date a migration recomputed when the visit-date rule changed."""
    return encode(Msg(VISIT_DATE_RULE, revision=revision))


def decode_reason(stored: str | None) -> Msg | None:
    """The code and parameters of a stored reason; None for none, or for a legacy English sentence."""
    return decode(stored)
