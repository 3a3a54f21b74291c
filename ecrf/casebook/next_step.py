"""Where a subject stands on the trial's path and what comes next: the one home of the rule (subject pages, the
subject list and its filters all read :func:`decide`).

The stored status (ecrf.subjects.lifecycle) says screening / enrolled / infused ...; the stage refines it with the
facts recorded so far (an eligibility verdict, the leukapheresis, the lymphodepletion, the infusion and its DLT
window), and the next step follows from the stage, never from the earliest open window alone: once the cells are
infused, the visits before day 0 are history, so an infused subject never shows "Next: Screening".
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.enrolment.models import EligibilityReview
from ecrf.study import clock, codec
from ecrf.study.schedule import INFUSION_START
from ecrf.subjects.models import Subject
from ecrf.visits.planning import VisitPlan, dlt_window
from ecrf.visits.services import plans as visit_plans

#: every stage, in the order of the trial's path, with its words
STAGES = {
    "screening": "Screening",
    "eligible": "Eligible, to enrol",
    "not_eligible": "Not eligible",
    "enrolled": "Enrolled, awaiting leukapheresis",
    "collected": "Cells collected, awaiting lymphodepletion",
    "lymphodepleted": "Lymphodepleted, awaiting infusion",
    "dlt_window": "Infused, in the DLT window",
    "follow_up": "In follow-up",
    "screen_failed": "Screen failure",
    "withdrawn": "Withdrawn",
    "completed": "Completed",
}

#: the forms whose presence moves a subject along before the infusion
_COLLECTED, _LYMPHODEPLETED = ("SE.LEUKAPHERESIS", "F.LEUK"), ("SE.LD1", "F.LDDOSE")


@dataclass(frozen=True)
class Facts:
    """What the rule needs to know of one subject."""

    status: str
    eligible: bool | None = None  # the latest eligibility review's verdict, None before any
    collected: bool = False  # leukapheresis recorded
    lymphodepleted: bool = False  # lymphodepletion day 1 dosing recorded
    infusion: date | None = None  # day 0, site-local


@dataclass(frozen=True)
class Step:
    stage: str
    text: str  # the stage in words, with its date where it has one
    next: str | None  # what comes next, in words; None when nothing does
    event_oid: str | None = None  # the event the next step happens at (the casebook opens its phase)
    visit: VisitPlan | None = None  # the visit due next, once the schedule says when

    @property
    def label(self) -> str:
        return STAGES[self.stage]


def _visit_text(p: VisitPlan, today: date) -> str:
    if p.state == "overdue":
        return f"{p.event.label} overdue (window closed {p.window_end})"
    return f"{p.event.label}, target {p.target} (window {p.window_start} – {p.window_end})"


def _after_infusion(visits: Iterable[VisitPlan], today: date) -> VisitPlan | None:
    """The post-infusion visit to do next: the earliest overdue one, else the one whose window opens first; only
    visits after the latest one that took place (or was marked not done) count: a visit skipped before it is
    missed history (the site's overdue list shows it), not the next step."""
    post = [p for p in visits if p.event.day is not None and p.event.day > 0 and p.event.anchor != "consent"
            and p.target is not None]
    last = max((p.event.day for p in post if p.state in ("done", "done_out_of_window", "not_done")), default=0)
    post = [p for p in post if p.event.day > last]
    overdue = [p for p in post if p.state == "overdue"]
    if overdue:
        return min(overdue, key=lambda p: p.target)
    open_ = [p for p in post if p.state in ("due", "upcoming")]
    return min(open_, key=lambda p: (p.window_start, p.target), default=None)


def _plan_of(visits: Iterable[VisitPlan], oid: str) -> VisitPlan | None:
    return next((p for p in visits if p.oid == oid), None)


def decide(facts: Facts, visits: list[VisitPlan], today: date, dlt_days: int | None = None) -> Step:
    """The subject's stage and next step from ``facts`` and their visit plan (ecrf.visits.planning.plan)."""
    status = facts.status
    if status in ("screen_failed", "withdrawn", "completed"):
        return Step(status, STAGES[status], None)
    if facts.infusion is not None or status in ("infused", "follow_up"):
        visit = _after_infusion(visits, today)
        nxt = _visit_text(visit, today) if visit else "No visit due: the schedule is complete"
        oid = visit.oid if visit else None
        if facts.infusion is not None:
            start, end = dlt_window(facts.infusion, dlt_days)
            if today <= end:
                return Step("dlt_window", f"Infused {facts.infusion}, in the DLT window to {end}", nxt, oid, visit)
            return Step("follow_up", f"Infused {facts.infusion}, in follow-up", nxt, oid, visit)
        return Step("follow_up", STAGES["follow_up"], nxt, oid, visit)
    if status == "enrolled":
        if facts.lymphodepleted:
            d0 = _plan_of(visits, "SE.D0")
            when = f", planned {d0.target}" if d0 is not None and d0.target else ""
            return Step("lymphodepleted", STAGES["lymphodepleted"], f"CAR-T infusion (day 0){when}", "SE.D0", d0)
        if facts.collected:
            pre = _plan_of(visits, "SE.PRELD")
            if pre is not None and pre.state not in ("done", "done_out_of_window", "not_done"):
                return Step("collected", STAGES["collected"], "Pre-lymphodepletion check (day -7)", "SE.PRELD")
            return Step("collected", STAGES["collected"], "Lymphodepletion day -5", "SE.LD1")
        return Step("enrolled", STAGES["enrolled"], "Leukapheresis", "SE.LEUKAPHERESIS")
    # screening
    if facts.eligible is True:
        return Step("eligible", STAGES["eligible"], "Enrol (assign the subject number and dose level)",
                    "SE.SCREENING")
    if facts.eligible is False:
        return Step("not_eligible", STAGES["not_eligible"], "Record the screen failure, or review eligibility again",
                    "SE.SCREENING")
    screening = _plan_of(visits, "SE.SCREENING")
    nxt = "Complete the screening forms, then confirm eligibility"
    if screening is not None and screening.state == "overdue":
        nxt += f" (screening window closed {screening.window_end})"
    elif screening is not None and screening.window_end is not None:
        nxt += f" (screening window to {screening.window_end})"
    return Step("screening", STAGES["screening"], nxt, "SE.SCREENING", screening)


def facts_for(session: Session, subjects: list[Subject]) -> dict[int, Facts]:
    """Each subject's :class:`Facts`, in two statements whatever the number of subjects."""
    ids = [s.id for s in subjects]
    if not ids:
        return {}
    eligible: dict[int, bool] = {}
    for subject_id, verdict in session.execute(
            select(EligibilityReview.subject_id, EligibilityReview.eligible)
            .where(EligibilityReview.subject_id.in_(ids)).order_by(EligibilityReview.id)):
        eligible[subject_id] = verdict  # the latest review wins
    seen: set[tuple[int, str, str]] = set()
    infusion: dict[int, str] = {}
    for subject_id, event_oid, form_oid, value in session.execute(
            select(StudyEventData.subject_id, StudyEventData.event_oid, FormData.form_oid, ItemData.value)
            .join(FormData.event)
            .outerjoin(ItemData, (ItemData.form_id == FormData.id) & (ItemData.item_oid == INFUSION_START))
            .where(StudyEventData.subject_id.in_(ids),
                   FormData.form_oid.in_((_COLLECTED[1], _LYMPHODEPLETED[1], "F.INF")))):
        seen.add((subject_id, event_oid, form_oid))
        if value is not None and event_oid == "SE.D0":
            infusion[subject_id] = value
    out = {}
    for s in subjects:
        day0 = codec.local_date(infusion[s.id], s.site.zone) if s.id in infusion else None
        out[s.id] = Facts(s.status, eligible.get(s.id), (s.id, *_COLLECTED) in seen,
                          (s.id, *_LYMPHODEPLETED) in seen, day0)
    return out


def for_subjects(session: Session, subjects: list[Subject], today: date | None = None,
                 planned: dict[int, list[VisitPlan]] | None = None) -> dict[int, Step]:
    """Each subject's step, in a fixed number of statements (four, or two given their ``planned`` visits)."""
    planned = planned if planned is not None else visit_plans(session, subjects, today)
    facts = facts_for(session, subjects)
    return {s.id: decide(facts[s.id], planned.get(s.id, []), today or clock.today_at(s.site.zone))
            for s in subjects}
