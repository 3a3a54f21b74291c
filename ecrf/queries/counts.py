"""The read side of queries: counts by state and the age of the oldest open query (for a form, a subject, a site,
the study), badges per item, threads of a form, and worklists. Each is a fixed number of SQL statements (GROUP BY),
whatever the number of subjects, forms or queries.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecrf.auth.models import Site
from ecrf.capture.models import FormData, StudyEventData
from ecrf.queries.models import OPEN, STATES, Query
from ecrf.study.clock import utcnow
from ecrf.subjects.models import Subject


@dataclass
class Counts:
    """How many queries are in each state, and when the oldest open one was raised."""

    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    oldest_open: datetime | None = None

    @property
    def open(self) -> int:
        return self.by_state[OPEN]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    def age_days(self, now: datetime | None = None) -> int | None:
        """Whole days since the oldest open query was raised (None when none is open)."""
        if self.oldest_open is None:
            return None
        return ((now or utcnow()) - self.oldest_open).days

    def _add(self, state: str, n: int, oldest: datetime | None) -> None:
        self.by_state[state] = n
        if state == OPEN:
            self.oldest_open = oldest


def _joined(stmt):
    return stmt.join(FormData, Query.form_id == FormData.id).join(
        StudyEventData, FormData.event_id == StudyEventData.id).join(Subject, StudyEventData.subject_id == Subject.id)


def _grouped(session: Session, key, where) -> dict:
    """One statement: counts and oldest raise per (key, state)."""
    stmt = _joined(select(key, Query.state, func.count(Query.id), func.min(Query.raised_at))).where(*where) \
        .group_by(key, Query.state)
    out: dict = {}
    for k, state, n, oldest in session.execute(stmt):
        out.setdefault(k, Counts())._add(state, n, _aware(oldest))
    return out


def _aware(value):
    """min() over a UTC column comes back naive on SQLite (the type decorator is not applied to aggregates)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value


def study_counts(session: Session, site_ids) -> Counts:
    """The study's counts, over the sites the reader sees."""
    stmt = _joined(select(Query.state, func.count(Query.id), func.min(Query.raised_at))) \
        .where(Subject.site_id.in_(list(site_ids))).group_by(Query.state)
    out = Counts()
    for state, n, oldest in session.execute(stmt):
        out._add(state, n, _aware(oldest))
    return out


def by_site(session: Session, site_ids) -> dict[int, Counts]:
    """Counts per site id (sites without queries are absent)."""
    return _grouped(session, Subject.site_id, [Subject.site_id.in_(list(site_ids))])


def by_subject(session: Session, site_ids) -> dict[int, Counts]:
    """Counts per subject id of the given sites."""
    return _grouped(session, Subject.id, [Subject.site_id.in_(list(site_ids))])


def subject_counts(session: Session, subject_id: int) -> Counts:
    return _grouped(session, Subject.id, [Subject.id == subject_id]).get(subject_id, Counts())


def by_form(session: Session, subject_id: int) -> dict[int, Counts]:
    """Counts per stored form id of one subject (for the casebook)."""
    return _grouped(session, FormData.id, [Subject.id == subject_id])


def form_counts(session: Session, form_id: int) -> Counts:
    return _grouped(session, FormData.id, [FormData.id == form_id]).get(form_id, Counts())


def by_item(session: Session, form_id: int) -> dict[str, Counts]:
    """Counts per item OID of one form (the badges beside each item)."""
    return _grouped(session, Query.item_oid, [FormData.id == form_id])


def form_threads(session: Session, form_id: int) -> dict[str, list[Query]]:
    """Every query of a form with its messages, by item OID (two statements: queries, then their messages)."""
    out: dict[str, list[Query]] = {}
    for q in session.scalars(select(Query).where(Query.form_id == form_id).order_by(Query.id)):
        out.setdefault(q.item_oid, []).append(q)
    return out


@dataclass(frozen=True)
class Filters:
    """A worklist's filters; None means any."""

    state: str | None = None
    site: str | None = None
    subject: str | None = None
    form_oid: str | None = None
    #: only queries raised at least this many days ago
    min_age_days: int | None = None


@dataclass(frozen=True)
class Row:
    id: int
    state: str
    site: str
    subject: str
    event_oid: str
    event_repeat: int
    form_oid: str
    form_repeat: int
    item_oid: str
    raised_role: str
    check_id: str | None
    raised_at: datetime
    updated_at: datetime


def worklist(session: Session, site_ids, filters: Filters = Filters(), limit: int = 500) -> list[Row]:
    """The queries at ``site_ids`` matching ``filters``, oldest first; one statement."""
    stmt = _joined(select(
        Query.id, Query.state, Site.code, Subject.key, StudyEventData.event_oid, StudyEventData.repeat_key,
        FormData.form_oid, FormData.repeat_key, Query.item_oid, Query.raised_role, Query.check_id, Query.raised_at,
        Query.updated_at,
    )).join(Site, Subject.site_id == Site.id).where(Subject.site_id.in_(list(site_ids)))
    if filters.state:
        stmt = stmt.where(Query.state == filters.state)
    if filters.site:
        stmt = stmt.where(Site.code == filters.site)
    if filters.subject:
        stmt = stmt.where(Subject.key == filters.subject)
    if filters.form_oid:
        stmt = stmt.where(FormData.form_oid == filters.form_oid)
    if filters.min_age_days:
        stmt = stmt.where(Query.raised_at <= utcnow() - timedelta(days=filters.min_age_days))
    stmt = stmt.order_by(Query.raised_at, Query.id).limit(limit)
    return [Row(*r[:11], _aware(r[11]), _aware(r[12])) for r in session.execute(stmt)]


#: the age bands of open queries (days since raised; the last band has no upper end)
AGE_BANDS = ((0, 7), (8, 14), (15, 30), (31, None))


def ageing(session: Session, site_ids, now: datetime | None = None) -> dict[str, int]:
    """Open queries by age band ("0-7", "8-14", "15-30", "31+" days since raised) at the sites: one statement."""
    now = now or utcnow()
    bands = {(f"{lo}-{hi}" if hi is not None else f"{lo}+"): 0 for lo, hi in AGE_BANDS}
    stmt = _joined(select(Query.raised_at)).where(Subject.site_id.in_(list(site_ids)), Query.state == OPEN)
    for (raised,) in session.execute(stmt):
        days = (now - _aware(raised)).days
        for (lo, hi), name in zip(AGE_BANDS, bands):
            if days >= lo and (hi is None or days <= hi):
                bands[name] += 1
                break
    return bands
