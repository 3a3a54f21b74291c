"""Visit plans for subjects (from their consent, lymphodepletion and infusion dates) and marking visits not done."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.capture.models import FormData, ItemData, StudyEventData
from ecrf.errors import NotFound, Refused
from ecrf.study import clock
from ecrf.study.codec import local_date
from ecrf.study.definition import load as load_study
from ecrf.study.schedule import INFUSION_START, LD_DATE
from ecrf.subjects.models import Subject
from ecrf.visits.planning import Anchors, Recorded, VisitPlan, plan

# (event OID, item OID) of the three dates the schedule hangs on: consent, and the visit dates of day -5 and day 0
ANCHOR_ITEMS = {"consent": ("SE.SUBJECT", "I.IC.DTC"), "lymphodepletion": ("SE.LD1", LD_DATE),
                "infusion": ("SE.D0", INFUSION_START)}


def plans(session: Session, subjects: list[Subject], today: date | None = None) -> dict[int, list[VisitPlan]]:
    """Each subject's visit plan (today: the site's date), from two queries whatever the number of subjects."""
    ids = [s.id for s in subjects]
    if not ids:
        return {}
    recorded: dict[int, dict] = defaultdict(dict)
    for row in session.scalars(select(StudyEventData).where(StudyEventData.subject_id.in_(ids))):
        recorded[row.subject_id][(row.event_oid, row.repeat_key)] = Recorded(row.actual_date, row.status,
                                                                             row.not_done_reason)
    wanted = {item for _, item in ANCHOR_ITEMS.values()}
    values: dict[int, dict] = defaultdict(lambda: defaultdict(list))
    for subject_id, event_oid, item_oid, value in session.execute(
        select(StudyEventData.subject_id, StudyEventData.event_oid, ItemData.item_oid, ItemData.value)
        .join(StudyEventData.forms).join(FormData.items)
        .where(StudyEventData.subject_id.in_(ids), ItemData.item_oid.in_(wanted), ItemData.value.is_not(None))
    ):
        values[subject_id][(event_oid, item_oid)].append(value)
    events = load_study().events
    out = {}
    for subject in subjects:
        tz = subject.site.zone
        found = {name: sorted(local_date(v, tz) for v in values[subject.id][key])
                 for name, key in ANCHOR_ITEMS.items()}
        anchors = Anchors(*(found[n][0] if found[n] else None for n in ("consent", "lymphodepletion", "infusion")))
        day = today or clock.today_at(tz)
        out[subject.id] = plan(events, anchors, day, recorded[subject.id])
    return out


def mark_not_done(session: Session, subject: Subject, event_oid: str, repeat: int, reason: str) -> StudyEventData:
    """Record that a visit did not take place, and why (nothing is deleted)."""
    event = load_study().event(event_oid)
    if event is None or event.type == "Common" or repeat < 1 or (repeat > 1 and not event.repeating):
        raise NotFound(f"No visit {event_oid} #{repeat}.")
    reason = (reason or "").strip()
    if not reason:
        raise Refused("Give the reason the visit was not done.")
    if len(reason) > 500:
        raise Refused("The reason is too long (at most 500 characters).")
    row = session.scalar(select(StudyEventData).filter_by(subject_id=subject.id, event_oid=event_oid,
                                                          repeat_key=repeat))
    if row is None:
        row = StudyEventData(subject=subject, event_oid=event_oid, repeat_key=repeat)
        session.add(row)
    elif row.forms and any(f.items for f in row.forms):
        raise Refused("Data was entered at this visit; it cannot be marked not done.")
    row.status, row.not_done_reason = "not_done", reason
    session.flush()
    return row
