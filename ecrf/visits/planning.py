"""Visit planning: target dates, windows and the state of each visit of the schedule.

Pure functions over the schedule (``ecrf.study.schedule.SCHEDULE``), a subject's anchor dates and
what is recorded in the database; no Flask, no session. Rules cite the protocol brief
(``docs/reference/protocol-brief.md``), section "Schedule of events" unless stated.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from ecrf.study import protocol
from ecrf.study.types import StudyEvent

#: Every state a VisitPlan can take, in display order.
STATES: tuple[str, ...] = ("done", "done_out_of_window", "not_done", "due", "overdue", "upcoming", "not_planned")

# Brief: "Lymphodepletion | days -5, -4, -3": the first lymphodepletion day is day -5.
LD1_DAY = -5


@dataclass(frozen=True)
class Anchors:
    """The dates a subject's schedule counts from; None while not yet known."""

    consent: date | None = None
    lymphodepletion: date | None = None  # date of lymphodepletion day 1 (day -5)
    infusion: date | None = None  # actual CAR-T infusion date (day 0)


@dataclass(frozen=True)
class Recorded:
    """What the database holds for one (event OID, repeat key); repeat key is 1 for non-repeating events."""

    actual_date: date | None = None
    status: str = "completed"  # scheduled | in_progress | completed | not_done
    not_done_reason: str | None = None


@dataclass(frozen=True)
class VisitPlan:
    """One visit of one subject: when it should happen, when it did, and where it stands."""

    event: StudyEvent
    repeat: int
    target: date | None
    window_start: date | None
    window_end: date | None
    actual: date | None
    state: str
    reason: str | None = None

    @property
    def oid(self) -> str:
        return self.event.oid


def day_zero(anchors: Anchors) -> tuple[date | None, bool]:
    """Day 0 and whether it is only planned: ``(date, planned)``, or ``(None, False)`` when unknown."""
    # Brief: "day 0 = CAR-T infusion": the recorded infusion date is day 0.
    if anchors.infusion is not None:
        return anchors.infusion, False
    # Brief: lymphodepletion on "days -5, -4, -3", so day 0 is planned 5 days after lymphodepletion day 1.
    if anchors.lymphodepletion is not None:
        return anchors.lymphodepletion - timedelta(days=LD1_DAY), True
    return None, False


def _target(event: StudyEvent, anchors: Anchors) -> date | None:
    """Target date of a scheduled (non-repeating, anchored) event, or None when it cannot be planned yet."""
    if event.day is None or event.anchor == "none":
        # Brief: leukapheresis "after eligibility confirmed"; unscheduled and end of study "any".
        return None
    if event.anchor == "consent":
        # Brief: screening is counted from consent (schedule: consent day 0, window 0..28).
        return anchors.consent + timedelta(days=event.day) if anchors.consent else None
    zero, planned = day_zero(anchors)
    if zero is None:
        return None
    if planned and event.day > 0:
        # Brief: "day 0 = CAR-T infusion": post-infusion visits wait for the infusion to be recorded.
        return None
    return zero + timedelta(days=event.day)


def _state(target: date | None, start: date | None, end: date | None, rec: Recorded | None,
           today: date) -> str:
    if rec is not None and rec.status == "not_done":
        return "not_done"  # EDC convention: a visit marked not done keeps its reason (DB requires one).
    if rec is not None and rec.actual_date is not None:
        if start is None or end is None:
            return "done"  # no window to be out of (unplanned visit, or anchor not yet recorded)
        # Brief: windows are "+/-" days around the target, edges inclusive.
        return "done" if start <= rec.actual_date <= end else "done_out_of_window"
    if target is None or start is None or end is None:
        return "not_planned"
    if today < start:
        return "upcoming"
    return "due" if today <= end else "overdue"


def _unplanned_state(rec: Recorded) -> str:
    # Brief: unscheduled and end-of-study visits happen "any" time: data recorded means done.
    return "not_done" if rec.status == "not_done" else "done"


def plan(events: Sequence[StudyEvent], anchors: Anchors, today: date,
         recorded: Mapping[tuple[str, int], Recorded]) -> list[VisitPlan]:
    """Plan every visit of ``events`` for one subject, in schedule order."""
    plans: list[VisitPlan] = []
    for event in events:
        if event.type == "Common":
            continue  # subject-level forms (consent, demographics, AE/CM logs) are not a visit
        if event.repeating:
            # Brief: "Unscheduled (repeating) | any": one plan per recorded occurrence, no target.
            for (oid, repeat), rec in sorted(recorded.items(), key=lambda kv: kv[0][1]):
                if oid == event.oid:
                    plans.append(VisitPlan(event, repeat, None, None, None, rec.actual_date,
                                           _unplanned_state(rec), rec.not_done_reason))
            continue
        rec = recorded.get((event.oid, 1))
        if event.day is None or event.anchor == "none":
            # Brief: leukapheresis / end of study have no target day; not planned until data exist.
            state = _unplanned_state(rec) if rec is not None else "not_planned"
            plans.append(VisitPlan(event, 1, None, None, None, rec.actual_date if rec else None, state,
                                   rec.not_done_reason if rec else None))
            continue
        target = _target(event, anchors)
        start = target - timedelta(days=event.window_before) if target is not None else None
        end = target + timedelta(days=event.window_after) if target is not None else None
        plans.append(VisitPlan(event, 1, target, start, end, rec.actual_date if rec else None,
                               _state(target, start, end, rec, today), rec.not_done_reason if rec else None))
    return plans


def summary(plans: Iterable[VisitPlan]) -> dict[str, int]:
    """Count plans per state; every state is present (zero when none)."""
    counts = dict.fromkeys(STATES, 0)
    for p in plans:
        counts[p.state] += 1
    return counts


def next_due(plans: Iterable[VisitPlan], today: date) -> VisitPlan | None:
    """The open visit whose window has not closed by ``today`` and opens first (due before upcoming)."""
    open_ = [p for p in plans if p.state in ("due", "upcoming")
             and p.window_end is not None and p.window_end >= today]
    return min(open_, key=lambda p: (p.window_start, p.target), default=None)


def dlt_window(infusion: date, days: int | None = None) -> tuple[date, date]:
    """First and last day (inclusive) of the DLT observation window: day 0 to day ``days`` (the protocol's)."""
    days = protocol.active().dlt_days if days is None else days
    # Brief, dose levels: "DLT window of 28 days after infusion" -> days 0..28 inclusive.
    return infusion, infusion + timedelta(days=days)


def sentinel_clear_date(first_infusion: date, days: int | None = None) -> date:
    """First date the next subject of the same dose level may be infused (after the protocol's sentinel days)."""
    days = protocol.active().sentinel_days if days is None else days
    # Brief, dose levels: first subject "observed for 14 days before the next subject of that level is infused".
    return first_infusion + timedelta(days=days)
