"""SDV progress and the monitor's worklist, following each site's plan, in a constant number of statements.

An item counts as *required* when its site's plan asks for it (ecrf.sdv.plan) and it holds a value; *verified*
when its verification is at the value it holds; *changed* when its value changed since it was verified. The
counts come from one aggregate over the stored item values (grouped by subject, or by form, and by whether the
item is critical), plus one statement for the subjects' ranks at their sites and one for the plans: three
statements whatever the number of subjects, forms or items.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from ecrf.capture import locks
from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.sdv.models import ItemVerification
from ecrf.sdv.services import CHANGED, VERIFIED, plans, subject_ranks
from ecrf.study.definition import load as load_study
from ecrf.study.locator import FormLocator
from ecrf.subjects.models import Subject


@dataclass(frozen=True)
class Counts:
    required: int = 0
    verified: int = 0
    changed: int = 0

    @property
    def pending(self) -> int:
        """Required items still to verify (never verified, or changed since)."""
        return self.required - self.verified

    @property
    def percent(self) -> int | None:
        return None if not self.required else (100 * self.verified) // self.required

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.required + other.required, self.verified + other.verified, self.changed + other.changed)


def critical_oids() -> list[str]:
    return sorted(oid for oid, item in load_study().items.items() if item.critical)


def _values(site_ids, subject_id: int | None = None):
    """Every stored value at the sites with whether its item is critical and its verification state."""
    oids = critical_oids()
    crit = case((ItemData.item_oid.in_(oids), 1), else_=0) if oids else literal(0)
    stmt = (select(Subject.id.label("subject_id"), Subject.site_id.label("site_id"), Subject.key.label("key"),
                   FormData.id.label("form_id"), FormData.form_oid.label("form_oid"),
                   FormData.repeat_key.label("form_repeat"),
                   FormData.updated_at.label("updated_at"), StudyEventData.event_oid.label("event_oid"),
                   StudyEventData.repeat_key.label("event_repeat"), crit.label("crit"),
                   ItemVerification.state.label("state"))
            .select_from(ItemData)
            .join(FormData, FormData.id == ItemData.form_id)
            .join(StudyEventData, StudyEventData.id == FormData.event_id)
            .join(Subject, Subject.id == StudyEventData.subject_id)
            .outerjoin(ItemVerification, and_(ItemVerification.form_id == ItemData.form_id,
                                              ItemVerification.item_oid == ItemData.item_oid))
            .where(ItemData.value.is_not(None), Subject.site_id.in_(list(site_ids))))
    if subject_id is not None:
        stmt = stmt.where(Subject.id == subject_id)
    return stmt.subquery()


def _aggregate(v, *keys):
    return (select(*keys, v.c.crit, func.count().label("n"),
                   func.sum(case((v.c.state == VERIFIED, 1), else_=0)).label("verified"),
                   func.sum(case((v.c.state == CHANGED, 1), else_=0)).label("changed"))
            .group_by(*keys, v.c.crit))


def _required(rule: str, crit: int, n: int, verified: int, changed: int) -> Counts:
    if rule == "all" or (rule == "critical" and crit):
        return Counts(int(n), int(verified or 0), int(changed or 0))
    return Counts()


def _per_subject(session: Session, site_ids, subject_id: int | None = None) -> dict[int, tuple[int, Counts]]:
    site_ids = list(site_ids)
    if not site_ids:
        return {}
    ranks, site_plans = subject_ranks(session, site_ids), plans(session, site_ids)
    v = _values(site_ids, subject_id)
    out: dict[int, tuple[int, Counts]] = {}
    for subject_id_, site_id, crit, n, verified, changed in session.execute(
            _aggregate(v, v.c.subject_id, v.c.site_id)):
        rule = site_plans[site_id].rule(ranks[subject_id_])
        out[subject_id_] = (site_id, out.get(subject_id_, (site_id, Counts()))[1]
                            + _required(rule, crit, n, verified, changed))
    return out


def by_subject(session: Session, site_ids, subject_id: int | None = None) -> dict[int, Counts]:
    """Counts per subject of the sites (or of one subject); subjects with no stored value are absent."""
    return {sid: counts for sid, (_, counts) in _per_subject(session, site_ids, subject_id).items()}


def by_site(session: Session, site_ids) -> dict[int, Counts]:
    """Counts per site (the sum over its subjects), every site of ``site_ids`` present."""
    out = {site_id: Counts() for site_id in site_ids}
    for site_id, counts in _per_subject(session, site_ids).values():
        out[site_id] = out[site_id] + counts
    return out


def by_form(session: Session, site_id: int, subject_id: int) -> dict[int, Counts]:
    """Counts per stored form of one subject (form id -> Counts; a form with no stored value is absent): three
    statements (the site's ranks, its plan, one aggregate), whatever the number of forms."""
    ranks, site_plans = subject_ranks(session, [site_id]), plans(session, [site_id])
    if subject_id not in ranks:
        return {}
    rule = site_plans[site_id].rule(ranks[subject_id])
    v = _values([site_id], subject_id)
    out: dict[int, Counts] = {}
    for form_id, crit, n, verified, changed in session.execute(_aggregate(v, v.c.form_id)):
        out[form_id] = out.get(form_id, Counts()) + _required(rule, crit, n, verified, changed)
    return out


@dataclass(frozen=True)
class WorkItem:
    """A form with items the plan requires that are not verified at their values."""

    subject_id: int
    site_id: int
    locator: FormLocator
    counts: Counts
    locked: bool
    updated_at: datetime

    @property
    def form_label(self) -> str:
        form = load_study().form(self.locator.form_oid)
        return form.label if form else self.locator.form_oid


def worklist(session: Session, site_ids) -> list[WorkItem]:
    """The monitor's worklist at the sites: forms whose required items are not all verified, changed ones first,
    then oldest first (four statements: the values, ranks, plans and the active locks)."""
    site_ids = list(site_ids)
    if not site_ids:
        return []
    ranks, site_plans = subject_ranks(session, site_ids), plans(session, site_ids)
    v = _values(site_ids)
    keys = (v.c.form_id, v.c.subject_id, v.c.site_id, v.c.key, v.c.event_oid, v.c.event_repeat, v.c.form_oid,
            v.c.form_repeat, v.c.updated_at)
    forms: dict[int, tuple] = {}
    places = {}
    for (form_id, subject_id, site_id, key, event_oid, event_repeat, form_oid, form_repeat, updated_at,
         crit, n, verified, changed) in session.execute(_aggregate(v, *keys)):
        counts = _required(site_plans[site_id].rule(ranks[subject_id]), crit, n, verified, changed)
        meta = (subject_id, site_id, FormLocator(key, event_oid, form_oid, event_repeat, form_repeat), updated_at)
        previous = forms.get(form_id, (meta, Counts()))[1]
        forms[form_id] = (meta, previous + counts)
        places[form_id] = (form_id, site_id, subject_id, event_oid, event_repeat, form_oid, form_repeat)
    pending = {fid: entry for fid, entry in forms.items() if entry[1].pending}
    states = locks.states_of_rows(session, (places[fid] for fid in pending))  # SDV goes on under a freeze
    items = [WorkItem(*meta[:3], counts, states[fid] is locks.LockState.LOCKED, meta[3])
             for fid, (meta, counts) in pending.items()]
    items.sort(key=lambda w: (-w.counts.changed, w.updated_at, w.locator.key))
    return items
