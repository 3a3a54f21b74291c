"""Reasons for change after a form was first completed (21 CFR 11.10(e), ICH E6(R3) 4.2.2)."""
from __future__ import annotations

import json

from ecrf.study.types import codelist

REASONS = codelist(
    "CL.REASON", "Reason for change",
    ("TRANSCRIPTION", "Transcription error"),
    ("SOURCE_UPDATED", "Source document updated"),
    ("QUERY", "Query response"),
    ("LATE_RESULT", "Late result received"),
    ("OTHER", "Other (explain)"),
)


def reason_text(code: str | None, text: str | None) -> tuple[str | None, str | None]:
    """(the audit reason, an error message) from a code and free text."""
    text = (text or "").strip()
    if not code:
        return None, "A reason for change is required: this form was already completed."
    if code not in REASONS.values:
        return None, "Choose a reason from the list."
    if code == "OTHER" and not text:
        return None, "Explain the reason for change."
    if len(text) > 1000:
        return None, "The explanation is too long (at most 1000 characters)."
    label = REASONS.label(code)
    return (f"{label}: {text}" if text else label), None


def recalculated(sources: list[str]) -> str:
    """The stored reason of a derived value recomputed because its sources changed (a code and parameters)."""
    return json.dumps({"code": "RECALCULATED", "sources": sorted(sources)}, separators=(",", ":"))
