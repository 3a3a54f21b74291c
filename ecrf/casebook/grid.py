"""The casebook grid of one subject: events as columns, forms as rows (REDCap's record home page).

Built from a fixed number of queries (the subject's events and forms, and the freezes and locks that apply:
ecrf.capture.locks.states_for_subject), never one per cell.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture import locks
from ecrf.capture.models import FormData, StudyEventData
from ecrf.study.definition import Study
from ecrf.study.types import StudyEvent
from ecrf.subjects.models import Subject


@dataclass
class Cell:
    """One form at one event occurrence."""

    status: str  # not_started | incomplete | complete | frozen | locked
    required: bool
    form_repeat: int = 1
    count: int = 0  # entries of a repeating form


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


def _status(form: FormData, states: dict[int, locks.LockState]) -> str:
    state = states.get(form.id, locks.LockState.OPEN)
    return form.status if state is locks.LockState.OPEN else state.value


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
    states = locks.states_for_subject(session, subject.id)

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
                if study.form(ref.form_oid).repeating:
                    closed = {states.get(f.id) for f in entries} - {locks.LockState.OPEN, None}
                    column.cells[ref.form_oid] = Cell(
                        (max(closed, key=lambda s: s is locks.LockState.LOCKED).value if closed else
                         "complete" if entries and all(f.status == "complete" for f in entries) else
                         ("incomplete" if entries else "not_started")),
                        ref.required, form_repeat=len(entries) + 1, count=len(entries))
                else:
                    column.cells[ref.form_oid] = Cell(_status(entries[0], states) if entries else "not_started",
                                                      ref.required or (event.oid, ref.form_oid) in also_required)
            columns.append(column)
    return Grid(columns, rows)
