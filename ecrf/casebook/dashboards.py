"""What each role's first screen shows: the work waiting for them, computed across the subjects of their sites.

Every figure comes from a fixed number of queries (GROUP BY or one read of the rows it lists), never one per
subject, form or item: the statement count of a dashboard is the same at 3 and at 300 subjects (a test).
The sponsor's figures are counts only: no subject codes, no values.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.models import Site
from ecrf.capture import locks
from ecrf.capture.models import FormData, StudyEventData
from ecrf.casebook.sites import CalendarRow
from ecrf.enrolment.models import EligibilityReview
from ecrf.queries import counts as query_counts
from ecrf.queries.models import OPEN
from ecrf.sdv import progress as sdv_progress
from ecrf.signatures import services as signatures
from ecrf.study import protocol
from ecrf.study.definition import load as load_study
from ecrf.subjects import lifecycle
from ecrf.subjects.models import Subject
from ecrf.visits.services import plans

#: visit states after which the visit's required forms are expected
_HAPPENED = ("done", "done_out_of_window")


def _happened(visit, entered: dict) -> bool:
    """A visit took place when it is dated, or when forms were entered at it without its visit date yet (the
    missing visit-date form is then one of its gaps: a visit is dated only by its declared item)."""
    return visit.state in _HAPPENED or (bool(entered) and visit.state != "not_done")


@dataclass(frozen=True)
class FormGap:
    """A required form of a visit that took place, not entered yet ("missing") or not complete ("incomplete")."""

    subject: Subject
    event_oid: str
    event_label: str
    event_repeat: int
    form_oid: str
    form_label: str
    state: str
    form_repeat: int = 1


@dataclass
class SiteWork:
    """The site staff's day: overdue visits, missing and incomplete forms."""

    overdue: list[CalendarRow] = field(default_factory=list)
    gaps: list[FormGap] = field(default_factory=list)

    @property
    def missing(self) -> list[FormGap]:
        return [g for g in self.gaps if g.state == "missing"]

    @property
    def incomplete(self) -> list[FormGap]:
        return [g for g in self.gaps if g.state == "incomplete"]


def _subjects(session: Session, site_ids: set[int] | None) -> list[Subject]:
    query = select(Subject).where(Subject.status.not_in(("screen_failed",))).order_by(Subject.key)
    if site_ids is not None:
        query = query.where(Subject.site_id.in_(site_ids))
    return list(session.scalars(query))


def _forms_by_visit(session: Session, ids: list[int]) -> dict[tuple[int, str, int], dict[str, str]]:
    """(subject id, event OID, event repeat) -> form OID -> the status of its first repeat, in one query of plain
    columns (no form objects: they would bring every item value with them)."""
    out: dict[tuple[int, str, int], dict[str, str]] = {}
    if not ids:
        return out
    for form_oid, status, subject_id, event_oid, repeat in session.execute(
        select(FormData.form_oid, FormData.status, StudyEventData.subject_id, StudyEventData.event_oid,
               StudyEventData.repeat_key)
        .join(FormData.event).where(StudyEventData.subject_id.in_(ids)).order_by(FormData.repeat_key)
    ):
        out.setdefault((subject_id, event_oid, repeat), {}).setdefault(form_oid, status)
    return out


def site_work(session: Session, site_ids: set[int]) -> SiteWork:
    """Overdue visits, and the required forms of visits that took place that are missing or incomplete."""
    study = load_study()
    subjects = _subjects(session, site_ids)
    planned = plans(session, subjects)
    forms = _forms_by_visit(session, [s.id for s in subjects])
    work = SiteWork()
    for subject in subjects:
        for visit in planned[subject.id]:
            if visit.state == "overdue":
                work.overdue.append(CalendarRow(subject, visit))
            entered = forms.get((subject.id, visit.oid, visit.repeat), {})
            if not _happened(visit, entered):
                continue
            for ref in visit.event.forms:
                if not ref.required:
                    continue
                status = entered.get(ref.form_oid)
                if status != "complete":
                    work.gaps.append(FormGap(subject, visit.oid, visit.event.label, visit.repeat, ref.form_oid,
                                             study.form(ref.form_oid).label,
                                             "missing" if status is None else "incomplete"))
    work.overdue.sort(key=lambda r: (r.visit.target or date.max, r.subject.key))
    return work


@dataclass(frozen=True)
class Completeness:
    """Required forms of visits that took place: how many are complete."""

    expected: int
    complete: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.complete / self.expected, 1) if self.expected else None


def completeness(session: Session, site_ids: set[int] | None = None) -> Completeness:
    subjects = _subjects(session, site_ids)
    planned = plans(session, subjects)
    forms = _forms_by_visit(session, [s.id for s in subjects])
    expected = complete = 0
    for subject in subjects:
        for visit in planned[subject.id]:
            entered = forms.get((subject.id, visit.oid, visit.repeat), {})
            if not _happened(visit, entered):
                continue
            for ref in visit.event.forms:
                if ref.required:
                    expected += 1
                    complete += entered.get(ref.form_oid) == "complete"
    return Completeness(expected, complete)


@dataclass(frozen=True)
class Enrolment:
    """Enrolment against the cohort target, cumulative by month (YYYY-MM), and the subjects by status."""

    target: int
    enrolled: int
    by_month: list[tuple[str, int]]
    by_status: dict[str, int]
    screened: int


def enrolment(session: Session, site_ids: set[int] | None = None) -> Enrolment:
    """Counts only (the sponsor sees no subject codes): one query."""
    query = select(Subject.status, Subject.enrolled_on)
    if site_ids is not None:
        query = query.where(Subject.site_id.in_(site_ids))
    rows = session.execute(query).all()
    months = Counter(d.strftime("%Y-%m") for _, d in rows if d is not None)
    running, by_month = 0, []
    for month in sorted(months):
        running += months[month]
        by_month.append((month, running))
    by_status = dict.fromkeys(lifecycle.STATUSES, 0)
    by_status.update(Counter(status for status, _ in rows))
    return Enrolment(protocol.active().enrolment_cap, sum(1 for _, d in rows if d is not None), by_month,
                     by_status, len(rows))


@dataclass(frozen=True)
class Screening:
    """A subject in screening: waiting for the investigator's confirmation, or confirmed eligible and waiting to be
    enrolled."""

    subject: Subject
    confirmed: bool
    to_enter: int = 0  # required screening forms not entered yet: the coordinator's step before the investigator's


def in_screening(session: Session, site_ids: set[int]) -> list[Screening]:
    """Subjects in screening at the sites with their step: screening forms still to enter, the eligibility to confirm,
    or (the latest review decides) eligible and waiting to be enrolled; three statements."""
    subjects = list(session.scalars(select(Subject).where(Subject.site_id.in_(site_ids),
                                                          Subject.status == "screening").order_by(Subject.key)))
    latest: dict[int, bool] = {}
    for subject_id, eligible in session.execute(
            select(EligibilityReview.subject_id, EligibilityReview.eligible)
            .where(EligibilityReview.subject_id.in_([s.id for s in subjects])).order_by(EligibilityReview.id)):
        latest[subject_id] = eligible
    required = {r.form_oid for r in load_study().event("SE.SCREENING").forms if r.required}
    entered: Counter = Counter(subject_id for subject_id, _ in session.execute(
        select(StudyEventData.subject_id, FormData.form_oid).join(FormData.event).distinct()
        .where(StudyEventData.subject_id.in_([s.id for s in subjects]), StudyEventData.event_oid == "SE.SCREENING",
               FormData.form_oid.in_(required))))
    return [Screening(s, latest.get(s.id, False), len(required) - entered[s.id]) for s in subjects]


# -- each role's board ---------------------------------------------------------------------------------------------

@dataclass
class SiteStaffBoard:
    """Investigators and coordinators: the visits, forms and queries waiting at their sites, and for investigators
    the signatures outstanding or broken."""

    work: SiteWork
    queries: query_counts.Counts
    open_queries: list[query_counts.Row]
    outstanding_signatures: list = field(default_factory=list)
    broken_signatures: list = field(default_factory=list)
    screening: list[Screening] = field(default_factory=list)


@dataclass
class MonitorBoard:
    """SDV progress and open queries per site and subject, and the SDV worklist."""

    sites: dict[int, Site]
    subjects: dict[int, Subject]
    sdv_by_site: dict[int, sdv_progress.Counts]
    sdv_by_subject: dict[int, sdv_progress.Counts]
    queries_by_site: dict[int, query_counts.Counts]
    queries_by_subject: dict[int, query_counts.Counts]
    sdv_worklist: list


@dataclass
class DataManagerBoard:
    """Query ageing, what is frozen or locked, and signatures outstanding or broken."""

    queries: query_counts.Counts
    ageing: dict[str, int]
    locks: list
    outstanding_signatures: list
    broken_signatures: list


@dataclass
class SponsorBoard:
    """Counts only, no subject codes: enrolment against 18 over time, completeness, query and SDV figures."""

    enrolment: Enrolment
    completeness: Completeness
    queries: query_counts.Counts
    sdv: sdv_progress.Counts


#: how many rows a worklist shows on a dashboard (the full lists have their own pages)
SHOWN = 20
#: how many overdue visits and form gaps the site's page lists (the counts above them are complete)
SHOWN_ON_PAGE = 50


def _sites(session: Session, site_ids: set[int]) -> dict[int, Site]:
    return {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code))}


def site_staff_board(session: Session, site_ids: set[int], signs: bool) -> SiteStaffBoard:
    board = SiteStaffBoard(site_work(session, site_ids), query_counts.study_counts(session, site_ids),
                           query_counts.worklist(session, site_ids, query_counts.Filters(state=OPEN), limit=SHOWN),
                           screening=in_screening(session, site_ids))
    if signs:
        board.outstanding_signatures = signatures.outstanding(session, site_ids)
        board.broken_signatures = signatures.broken(session, site_ids)
    return board


def monitor_board(session: Session, site_ids: set[int]) -> MonitorBoard:
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.site_id.in_(site_ids)))}
    return MonitorBoard(
        _sites(session, site_ids), subjects, sdv_progress.by_site(session, site_ids),
        sdv_progress.by_subject(session, site_ids), query_counts.by_site(session, site_ids),
        query_counts.by_subject(session, site_ids), sdv_progress.worklist(session, site_ids)[:SHOWN])


def data_manager_board(session: Session, site_ids: set[int]) -> DataManagerBoard:
    return DataManagerBoard(query_counts.study_counts(session, site_ids), query_counts.ageing(session, site_ids),
                            locks.visible(session, site_ids), signatures.outstanding(session, site_ids),
                            signatures.broken(session, site_ids))


def sponsor_board(session: Session, site_ids: set[int]) -> SponsorBoard:
    sdv_total = sum(sdv_progress.by_site(session, site_ids).values(), sdv_progress.Counts())
    return SponsorBoard(enrolment(session, site_ids), completeness(session, site_ids),
                        query_counts.study_counts(session, site_ids), sdv_total)


#: which board is a role's first screen
BOARDS = {"investigator": "site", "coordinator": "site", "monitor": "monitor", "data_manager": "data_manager",
          "sponsor": "sponsor"}


def board_for(session: Session, role: str, site_ids: set[int], signs: bool = False):
    """The board of ``role`` over ``site_ids`` (None for a role without one: administrators)."""
    kind = BOARDS.get(role)
    if kind == "site":
        return site_staff_board(session, site_ids, signs)
    if kind == "monitor":
        return monitor_board(session, site_ids)
    if kind == "data_manager":
        return data_manager_board(session, site_ids)
    if kind == "sponsor":
        return sponsor_board(session, site_ids)
    return None
