"""What a signature covers, and the hash of exactly that data (the one definition: :func:`canonical`).

Scopes:

* ``form``: one form instance (event, event repeat, form, form repeat);
* ``visit``: every form of one event occurrence;
* ``casebook``: every form of the subject;
* ``eligibility``: what the eligibility criteria are decided on: the screening visit's forms and the
  subject-level consent (F.IC) and demographics (F.DM).

The covered data is written as canonical JSON: a list of forms ordered by their locator (event OID, event
repeat, form OID, form repeat), each ``{"form": locator key, "items": {item OID: value}}`` with only items that
hold a value (a cleared value and a value never entered read the same), keys sorted, no spaces, UTF-8; and
``"missing"`` ({item OID: [code, reason]}) when items carry an explicit "not done" / "unknown" answer
(``FormData.flags``). The hash is the SHA-256 of those bytes, in hex.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, StudyEventData
from ecrf.study.locator import FormLocator, event_key

SCOPES = ("form", "visit", "casebook", "eligibility")
#: the subject-level forms the eligibility criteria read, beside the screening visit
ELIGIBILITY_EVENT = "SE.SCREENING"
ELIGIBILITY_SUBJECT_FORMS = ("F.IC", "F.DM")


@dataclass(frozen=True)
class Scope:
    kind: str
    event_oid: str | None = None
    event_repeat: int | None = None
    form_oid: str | None = None
    form_repeat: int | None = None

    @classmethod
    def form(cls, event_oid: str, form_oid: str, event_repeat: int = 1, form_repeat: int = 1) -> Scope:
        return cls("form", event_oid, event_repeat, form_oid, form_repeat)

    @classmethod
    def visit(cls, event_oid: str, event_repeat: int = 1) -> Scope:
        return cls("visit", event_oid, event_repeat)

    @classmethod
    def casebook(cls) -> Scope:
        return cls("casebook")

    @classmethod
    def eligibility(cls) -> Scope:
        return cls("eligibility")

    def key(self, subject_key: str) -> str:
        """``01-S001`` (casebook), ``01-S001/SE.D1[1]`` (visit), the form locator key, or ``01-S001/eligibility``."""
        if self.kind == "form":
            return FormLocator(subject_key, self.event_oid, self.form_oid, self.event_repeat, self.form_repeat).key
        if self.kind == "visit":
            return event_key(subject_key, self.event_oid, self.event_repeat)
        if self.kind == "eligibility":
            return f"{subject_key}/eligibility"
        return subject_key

    @property
    def label(self) -> str:
        if self.kind == "form":
            return f"form {self.form_oid} at {self.event_oid}[{self.event_repeat}]"
        if self.kind == "visit":
            return f"visit {self.event_oid}[{self.event_repeat}]"
        return self.kind

    def covers(self, event_oid: str, event_repeat: int, form_oid: str, form_repeat: int) -> bool:
        """Whether a form at this place is part of the signed data."""
        if self.kind == "casebook":
            return True
        if self.kind == "eligibility":
            return event_oid == ELIGIBILITY_EVENT or (event_oid == "SE.SUBJECT"
                                                      and form_oid in ELIGIBILITY_SUBJECT_FORMS)
        same_visit = (event_oid, event_repeat) == (self.event_oid, self.event_repeat)
        if self.kind == "visit":
            return same_visit
        return same_visit and (form_oid, form_repeat) == (self.form_oid, self.form_repeat)

    def covers_form(self, form: FormData) -> bool:
        return self.covers(form.event.event_oid, form.event.repeat_key, form.form_oid, form.repeat_key)


def covered_forms(session: Session, subject_id: int, scope: Scope) -> list[FormData]:
    """The stored forms the scope covers, in locator order (two statements: forms, then their items)."""
    stmt = select(FormData).join(FormData.event).where(StudyEventData.subject_id == subject_id)
    if scope.kind in ("form", "visit"):
        stmt = stmt.where(StudyEventData.event_oid == scope.event_oid,
                          StudyEventData.repeat_key == scope.event_repeat)
    if scope.kind == "form":
        stmt = stmt.where(FormData.form_oid == scope.form_oid, FormData.repeat_key == scope.form_repeat)
    forms = [f for f in session.scalars(stmt) if scope.covers_form(f)]
    return sorted(forms, key=lambda f: (f.event.event_oid, f.event.repeat_key, f.form_oid, f.repeat_key))


def canonical(forms: Iterable[FormData]) -> bytes:
    """The covered data as canonical JSON bytes (see the module's docstring); forms in any order."""
    entries = []
    for form in sorted(forms, key=lambda f: (f.event.event_oid, f.event.repeat_key, f.form_oid, f.repeat_key)):
        entry = {"form": form.locator.key,
                 "items": {i.item_oid: i.value for i in form.items if i.value is not None}}
        if flags := form.flags:
            entry["missing"] = {oid: list(flag) for oid, flag in flags.items()}
        entries.append(entry)
    return json.dumps(entries, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest(forms: Iterable[FormData]) -> str:
    """SHA-256 (hex) of :func:`canonical`."""
    return hashlib.sha256(canonical(forms)).hexdigest()


def content_hash(session: Session, subject_id: int, scope: Scope) -> str:
    """The hash of the data the scope covers now."""
    return digest(covered_forms(session, subject_id, scope))
