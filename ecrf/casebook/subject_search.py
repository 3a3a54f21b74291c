"""Finding a subject: the subject list's search and filters, a plain function over the subjects of the user's
sites.

Filters come from the page's GET parameters, parsed by :meth:`Filters.parse` (an unknown or malformed value is
ignored, never an error); the number, status and dose level filter in SQL, the next due visit after each
subject's step is known (ecrf.casebook.next_step). A fixed number of statements, whatever the number of subjects:
the subjects with their last change and form count (one), their visit plans (two), the facts of their step (two).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, StudyEventData
from ecrf.casebook import next_step
from ecrf.study.definition import load as load_study
from ecrf.subjects import lifecycle
from ecrf.subjects.models import Subject

#: the dose levels a filter may ask for (brief: three dose levels)
DOSE_LEVELS = (1, 2, 3)
#: the "next due visit" filter's value for a subject whose next visit is overdue
OVERDUE = "overdue"


@dataclass(frozen=True)
class Filters:
    text: str = ""  # part of the subject number or the screening number
    status: str = ""  # a lifecycle status, or a stage of ecrf.casebook.next_step
    dose_level: int | None = None
    next_event: str = ""  # an event OID, or OVERDUE

    @classmethod
    def parse(cls, args: Mapping[str, str]) -> Filters:
        text = (args.get("q") or "").strip()[:40]
        status = args.get("status") or ""
        if status not in lifecycle.STATUSES and status not in next_step.STAGES:
            status = ""
        dose = args.get("dose") or ""
        dose_level = int(dose) if dose.isdigit() and int(dose) in DOSE_LEVELS else None
        nxt = args.get("next") or ""
        if nxt != OVERDUE and load_study().event(nxt) is None:
            nxt = ""
        return cls(text, status, dose_level, nxt)

    @property
    def active(self) -> bool:
        return bool(self.text or self.status or self.dose_level or self.next_event)


@dataclass(frozen=True)
class Row:
    subject: Subject
    last_change: datetime | None
    forms: int
    step: next_step.Step


def search(session: Session, site_ids: set[int], filters: Filters = Filters()) -> list[Row]:
    """The subjects of ``site_ids`` that match ``filters``, by screening number."""
    last_change = (
        select(StudyEventData.subject_id, func.max(FormData.updated_at).label("last"),
               func.count(FormData.id).label("forms"))
        .join(FormData.event).group_by(StudyEventData.subject_id).subquery()
    )
    query = (select(Subject, last_change.c.last, last_change.c.forms)
             .outerjoin(last_change, last_change.c.subject_id == Subject.id)
             .where(Subject.site_id.in_(site_ids)).order_by(Subject.key))
    if filters.text:
        needle = filters.text.lower()
        query = query.where(or_(func.lower(Subject.key).contains(needle, autoescape=True),
                                func.lower(Subject.subject_no).contains(needle, autoescape=True)))
    if filters.status in lifecycle.STATUSES:
        query = query.where(Subject.status == filters.status)
    if filters.dose_level is not None:
        query = query.where(Subject.dose_level == filters.dose_level)
    found = session.execute(query).all()
    steps = next_step.for_subjects(session, [s for s, _, _ in found])
    rows = [Row(s, last, forms or 0, steps[s.id]) for s, last, forms in found]
    if filters.status in next_step.STAGES and filters.status not in lifecycle.STATUSES:
        rows = [r for r in rows if r.step.stage == filters.status]
    if filters.next_event == OVERDUE:
        rows = [r for r in rows if r.step.visit is not None and r.step.visit.state == "overdue"]
    elif filters.next_event:
        rows = [r for r in rows if r.step.event_oid == filters.next_event]
    return rows


def next_event_choices() -> list[tuple[str, str]]:
    """The "next due visit" filter's options: every scheduled event, in schedule order."""
    return [(e.oid, e.label) for e in load_study().events if e.type != "Common"]
