"""The casebook grid of one subject: events as columns, forms as rows (REDCap's record home page).

Each cell's status is ecrf.casebook.status.decide over the form's facts (stored and complete, locked or frozen,
signed, verified against source). Built from a fixed number of statements, never one per cell: the subject's events
and forms (with their items), the freezes and locks that apply (ecrf.capture.locks.states_for_subject), the
subject's valid signatures (one), and the SDV counts per form (ecrf.sdv.progress.by_form: one aggregate, with the
site's ranks and plan).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture import locks
from ecrf.capture.models import FormData, StudyEventData
from ecrf.casebook import status as statuses
from ecrf.queries import counts as query_counts
from ecrf.sdv import progress as sdv_progress
from ecrf.signatures.models import Signature
from ecrf.study.definition import Study
from ecrf.study.types import StudyEvent
from ecrf.subjects.models import Subject


@dataclass
class Cell:
    """One form at one event occurrence."""

    status: str  # one of ecrf.casebook.status.STATUSES
    required: bool
    form_repeat: int = 1
    count: int = 0  # entries of a repeating form
    open_queries: int = 0  # open queries on the cell's entries (the item badges are on the form page)

    @property
    def label(self) -> str:
        return statuses.LABELS[self.status]


@dataclass
class Column:
    event: StudyEvent
    repeat: int
    data: StudyEventData | None
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def heading(self) -> str:
        return self.event.heading + (f" #{self.repeat}" if self.event.repeating else "")


@dataclass
class Grid:
    columns: list[Column]
    rows: list[tuple[str, str]]  # (form OID, label) in first-appearance order


#: the signature scopes that sign a form's data (an eligibility confirmation does not, see ecrf.casebook.status)
SIGNING_SCOPES = ("form", "visit", "casebook")


def form_status(session: Session, subject: Subject):
    """A function giving a stored form's display status, from three reads of the subject's locks, valid
    signatures and SDV counts."""
    states = locks.states_for_subject(session, subject.id)
    signatures = [s.scope_of for s in session.scalars(select(Signature).where(
        Signature.subject_id == subject.id, Signature.broken_at.is_(None), Signature.scope.in_(SIGNING_SCOPES)))]
    sdv = sdv_progress.by_form(session, subject.site_id, subject.id)

    def status_of(form: FormData, event_oid: str, event_repeat: int) -> str:
        counts = sdv.get(form.id, sdv_progress.Counts())
        return statuses.decide(
            stored=True, complete=form.status == "complete", lock=states.get(form.id, locks.LockState.OPEN),
            signed=any(s.covers(event_oid, event_repeat, form.form_oid, form.repeat_key) for s in signatures),
            sdv_required=counts.required, sdv_verified=counts.verified)
    return status_of


def build(session: Session, study: Study, subject: Subject,
          also_required: frozenset[tuple[str, str]] = frozenset()) -> Grid:
    """The grid; ``also_required`` are (event, form) pairs a rule makes required for this subject."""
    events = {(e.event_oid, e.repeat_key): e for e in session.scalars(
        select(StudyEventData).where(StudyEventData.subject_id == subject.id))}
    forms: dict[tuple[str, int, str], list[FormData]] = {}
    for f, oid, rep in session.execute(
        select(FormData, StudyEventData.event_oid, StudyEventData.repeat_key).join(FormData.event)
        .where(StudyEventData.subject_id == subject.id).order_by(FormData.repeat_key)
    ):
        forms.setdefault((oid, rep, f.form_oid), []).append(f)
    status_of = form_status(session, subject)
    queries = query_counts.by_form(session, subject.id)

    columns, rows, seen = [], [], set()
    for event in study.events:
        repeats = sorted(r for (oid, r) in events if oid == event.oid) or [1]
        if event.repeating:
            repeats = repeats + [repeats[-1] + 1] if (event.oid, repeats[-1]) in events else repeats
        for repeat in repeats:
            column = Column(event, repeat, events.get((event.oid, repeat)))
            for ref in event.forms:
                if ref.form_oid not in seen:
                    seen.add(ref.form_oid)
                    rows.append((ref.form_oid, study.form(ref.form_oid).label))
                entries = forms.get((event.oid, repeat, ref.form_oid), [])
                status = statuses.combine(status_of(f, event.oid, repeat) for f in entries)
                open_queries = sum(queries[f.id].open for f in entries if f.id in queries)
                if study.form(ref.form_oid).repeating:
                    column.cells[ref.form_oid] = Cell(status, ref.required, form_repeat=len(entries) + 1,
                                                      count=len(entries), open_queries=open_queries)
                else:
                    column.cells[ref.form_oid] = Cell(status,
                                                      ref.required or (event.oid, ref.form_oid) in also_required,
                                                      open_queries=open_queries)
            columns.append(column)
    return Grid(columns, rows)
