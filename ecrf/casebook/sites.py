"""Lists across the subjects of a user's sites: the screening log and the visit calendar.

Computed here rather than in a view so that every face (web page, JSON API) lists the same subjects and visits.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.study import clock
from ecrf.subjects.models import Subject
from ecrf.visits.planning import VisitPlan
from ecrf.visits.services import plans

#: the visit states the calendar lists, in the order it lists them (what needs doing first)
CALENDAR_STATES = ("overdue", "due", "upcoming", "done_out_of_window")
DEFAULT_HORIZON = 30


def screening_log(session: Session, site_ids: set[int]) -> list[Subject]:
    """Every subject ever screened at the sites, by screening number: screen failures are part of the log."""
    return list(session.scalars(select(Subject).where(Subject.site_id.in_(site_ids)).order_by(Subject.key)))


@dataclass(frozen=True)
class CalendarRow:
    subject: Subject
    visit: VisitPlan


def calendar(session: Session, site_ids: set[int], horizon: int = DEFAULT_HORIZON) -> list[CalendarRow]:
    """Visits that need attention at the sites: overdue, due and out of window, and those whose window opens
    within ``horizon`` days (each subject's days counted at its site); most urgent state first, then by date."""
    subjects = list(session.scalars(select(Subject).where(Subject.site_id.in_(site_ids),
                                                          Subject.status.not_in(("screen_failed",)))
                                    .order_by(Subject.key)))
    rows = []
    planned = plans(session, subjects)
    for subject in subjects:
        local_today = clock.today_at(subject.site.zone)
        for p in planned[subject.id]:
            if p.state in CALENDAR_STATES and (p.state != "upcoming" or (p.window_start - local_today).days <= horizon):
                rows.append(CalendarRow(subject, p))
    order = {s: n for n, s in enumerate(CALENDAR_STATES)}
    today = clock.utcnow().date()  # a visit without a target date sorts as if due today
    rows.sort(key=lambda r: (order[r.visit.state], r.visit.target or today))
    return rows
