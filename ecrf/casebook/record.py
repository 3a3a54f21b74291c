"""A subject's whole record as one reader may see it: the single read model behind every export of a casebook
(the sealed PDF, its content hash, the certified-copy check, the site archive).

Built from a fixed number of statements whatever the size of the record: the subject's events, forms and items;
the forms' display statuses (ecrf.casebook.grid.form_status: three); the item verifications; the queries with
their threads; the signatures; the people named. The audit trail is read apart (:func:`audit_rows`), streamed,
because it is the one part that grows with every change.

Values follow ecrf.study.masking for the reader's role; query text is withheld from roles that may not read
threads. :func:`content` is the canonical, role-masked data a casebook carries and seals.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ecrf.audit.models import AuditEvent
from ecrf.auth.models import User
from ecrf.auth.permissions import ACTIONS
from ecrf.capture import derived
from ecrf.capture.models import FormData, StudyEventData
from ecrf.casebook import audit_trail
from ecrf.casebook import status as statuses
from ecrf.casebook.grid import form_status
from ecrf.queries.models import Query
from ecrf.sdv.models import ItemVerification
from ecrf.sdv.services import NOT_VERIFIED
from ecrf.signatures.models import Signature
from ecrf.study import calculators, masking
from ecrf.study.codec import display
from ecrf.study.definition import STUDY_OID, Study
from ecrf.study.definition import load as load_study
from ecrf.study.types import MISSING_CODES, Form, Item, StudyEvent
from ecrf.study.validation import Context
from ecrf.study.words import render
from ecrf.subjects.models import Subject

#: the version of :func:`content`'s layout; a sealed copy names it, so a later layout can still check old copies
CONTENT_VERSION = 1


@dataclass(frozen=True)
class Message:
    step: str
    by: str  # full name (username)
    role: str
    at: datetime
    text: str  # masking.WITHHELD for a role that may not read threads
    state_after: str


@dataclass(frozen=True)
class QueryThread:
    id: int
    item_oid: str
    state: str
    raised_at: datetime
    system: bool
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class ItemValue:
    definition: Item
    value: str | None  # as stored, masked for the role
    shown: str  # as a person reads it: labels, units, local time
    missing_code: str | None = None
    missing_reason: str | None = None
    sdv: str = NOT_VERIFIED  # ecrf.sdv.models states
    queries: tuple[QueryThread, ...] = ()
    #: a calculated item without a value: why ("Cannot grade: Seizure missing"), never a silent blank
    why_empty: str | None = None

    @property
    def missing_label(self) -> str | None:
        return MISSING_CODES.get(self.missing_code) if self.missing_code else None


@dataclass
class FormEntry:
    definition: Form
    repeat: int
    data: FormData | None  # None: expected but never stored
    status: str  # ecrf.casebook.status.STATUSES
    items: list[ItemValue] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return statuses.LABELS[self.status]

    @property
    def open_queries(self) -> int:
        return sum(1 for i in self.items for q in i.queries if q.state == "open")


@dataclass
class EventEntry:
    definition: StudyEvent
    repeat: int
    data: StudyEventData | None
    forms: list[FormEntry] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return self.definition.heading + (f" #{self.repeat}" if self.definition.repeating else "")

    @property
    def not_done(self) -> bool:
        return self.data is not None and self.data.status == "not_done"


@dataclass(frozen=True)
class SignatureEntry:
    id: int
    scope: str  # human words: "form F.VS at SE.D0", "whole casebook"
    printed_name: str
    signed_at: datetime
    meaning: str
    holds: bool
    broken_at: datetime | None
    broken_cause: str | None


@dataclass
class Record:
    study: Study
    subject: Subject
    role: str
    tz: ZoneInfo
    events: list[EventEntry]
    signatures: list[SignatureEntry]
    names: dict[str, str]  # username -> "Full Name (username)"

    def forms(self) -> Iterator[tuple[EventEntry, FormEntry]]:
        for event in self.events:
            for form in event.forms:
                yield event, form

    @property
    def value_count(self) -> int:
        return sum(1 for _, f in self.forms() for i in f.items if i.value is not None or i.missing_code)


def _people(session: Session) -> tuple[dict[int, str], dict[str, str]]:
    by_id, by_name = {}, {}
    for uid, username, full in session.execute(select(User.id, User.username, User.full_name)):
        shown = f"{full} ({username})" if full and full != username else username
        by_id[uid], by_name[username] = shown, shown
    return by_id, by_name


def _threads(session: Session, form_ids: list[int], role: str, people: dict[int, str]) -> dict:
    may_read = role in ACTIONS["read_queries"]
    out: dict[tuple[int, str], list[QueryThread]] = {}
    if not form_ids:
        return out
    for q in session.scalars(select(Query).where(Query.form_id.in_(form_ids)).order_by(Query.id)
                             .options(selectinload(Query.messages))):
        messages = tuple(Message(m.step, people.get(m.user_id, "system"), m.role, m.at,
                                 m.text if may_read else masking.WITHHELD, m.state_after) for m in q.messages)
        out.setdefault((q.form_id, q.item_oid), []).append(
            QueryThread(q.id, q.item_oid, q.state, q.raised_at, q.check_id is not None, messages))
    return out


def _scope_words(s: Signature) -> str:
    if s.scope == "casebook":
        return "whole casebook"
    if s.scope == "eligibility":
        return "eligibility confirmation"
    if s.scope == "visit":
        return f"visit {s.event_oid} #{s.event_repeat}"
    return f"form {s.form_oid} #{s.form_repeat} at {s.event_oid} #{s.event_repeat}"


def build(session: Session, subject: Subject, role: str, study: Study | None = None) -> Record:
    """The record of ``subject`` as ``role`` sees it: every scheduled event and form, stored or not."""
    study = study or load_study()
    tz = subject.site.zone
    by_id, by_name = _people(session)
    stored_events = {(e.event_oid, e.repeat_key): e for e in session.scalars(
        select(StudyEventData).where(StudyEventData.subject_id == subject.id)
        .options(selectinload(StudyEventData.forms).selectinload(FormData.items)))}
    form_ids = [f.id for e in stored_events.values() for f in e.forms]
    status_of = form_status(session, subject)
    sdv = {(v.form_id, v.item_oid): v.state for v in session.scalars(
        select(ItemVerification).where(ItemVerification.form_id.in_(form_ids)))} if form_ids else {}
    threads = _threads(session, form_ids, role, by_id)
    why = _why_empty(study, [f for e in stored_events.values() for f in e.forms], tz)

    events: list[EventEntry] = []
    for definition in study.events:
        repeats = sorted(r for (oid, r) in stored_events if oid == definition.oid) or [1]
        for repeat in repeats:
            data = stored_events.get((definition.oid, repeat))
            entry = EventEntry(definition, repeat, data)
            stored = {}
            for f in (data.forms if data else ()):
                stored.setdefault(f.form_oid, []).append(f)
            for ref in definition.forms:
                form_def = study.form(ref.form_oid)
                rows = sorted(stored.get(ref.form_oid, []), key=lambda f: f.repeat_key)
                if not rows:
                    entry.forms.append(FormEntry(form_def, 1, None, "not_started",
                                                 [ItemValue(i, None, "") for i in form_def.items]))
                for f in rows:
                    entry.forms.append(_form(form_def, f, definition.oid, repeat, status_of, sdv, threads, role, tz,
                                             why.get(f.id, {})))
            events.append(entry)

    signatures = [SignatureEntry(s.id, _scope_words(s), s.printed_name, s.signed_at, s.meaning, s.valid,
                                 s.broken_at, s.broken_cause)
                  for s in session.scalars(select(Signature).where(Signature.subject_id == subject.id)
                                           .order_by(Signature.signed_at, Signature.id))]
    return Record(study, subject, role, tz, events, signatures, by_name)


def _why_empty(study: Study, forms: list[FormData], tz: ZoneInfo) -> dict[int, dict[str, str]]:
    """For each stored form with a calculated item left without a value, why, by item OID: worked out from the
    record already read (the latest value of each fact, the form's other instances), without another statement."""
    blank = [f for f in forms
             if any(i.calculated and f.values.get(i.oid) is None for i in study.form(f.form_oid).items)]
    if not blank:
        return {}
    ordered = sorted(forms, key=lambda f: (f.updated_at.timestamp() if f.updated_at else 0.0, f.id))
    ctx, out = Context.now_at(tz), {}
    for f in blank:
        definition = study.form(f.form_oid)
        wanted = calculators.needs(definition)
        latest = {i.item_oid: i.value for g in ordered for i in g.items if i.item_oid in wanted and i.value is not None}
        others = [(g.id, g.values) for g in forms if g.form_oid == f.form_oid] if calculators.history(definition) \
            else []
        facts = derived.with_history(latest, others, f.id)
        reasons = derived.why_not(definition, calculators.calculate(definition, f.values, facts, ctx))
        out[f.id] = {oid: render(msg) for oid, msg in reasons.items()}
    return out


def _form(definition: Form, f: FormData, event_oid: str, event_repeat: int, status_of, sdv, threads, role, tz,
          why: dict[str, str]):
    stored = {i.item_oid: i for i in f.items}
    entry = FormEntry(definition, f.repeat_key, f, status_of(f, event_oid, event_repeat))
    for item in definition.items:
        row = stored.get(item.oid)
        value = masking.masked(item, row.value, role) if row else None
        shown = "" if value is None else value if masking.reduces(item, role) else display(item, value, tz)
        entry.items.append(ItemValue(
            item, value, shown, row.missing_code if row else None,
            (row.missing_reason if masking.sees_full(role) else masking.WITHHELD) if row and row.missing_reason
            else None,
            sdv.get((f.id, item.oid), NOT_VERIFIED), tuple(threads.get((f.id, item.oid), ())),
            why.get(item.oid) if value is None else None))
    return entry


def audit_rows(session: Session, subject: Subject, batch: int = 1000) -> Iterator[AuditEvent]:
    """The subject's audit trail, oldest first, streamed in batches."""
    stmt = audit_trail.for_subject(subject.key).order_by(AuditEvent.seq).execution_options(yield_per=batch)
    yield from session.scalars(stmt)


def content(record: Record) -> dict:
    """The casebook's data as canonical plain data: what a sealed copy carries, hashes and is checked against.

    Keyed by the values' locations (event, repeat, form, repeat, item), so a later check names what changed."""
    values = {}
    for event, form in record.forms():
        if form.data is None:
            continue
        for item in form.items:
            if item.value is None and not item.missing_code:
                continue
            key = f"{event.definition.oid}[{event.repeat}]/{form.definition.oid}[{form.repeat}]/{item.definition.oid}"
            values[key] = {"value": item.value, "missing": item.missing_code}
    return {
        "version": CONTENT_VERSION,
        "study": STUDY_OID,
        "site": record.subject.site.code,
        "subject": record.subject.key,
        "role": record.role,
        "values": values,
        "signatures": {str(s.id): {"meaning": s.meaning, "signed_at": s.signed_at.isoformat(), "holds": s.holds}
                       for s in record.signatures},
    }


def canonical(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(data: dict) -> str:
    """SHA-256 of the canonical content."""
    return hashlib.sha256(canonical(data)).hexdigest()
