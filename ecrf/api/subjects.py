"""GET /subjects and /subjects/{subject}: the token's subjects (its user's sites only) with their events."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import route
from ecrf.capture.models import StudyEventData
from ecrf.extensions import db
from ecrf.study import load as load_study
from ecrf.subjects.access import load_subject, visible_site_ids
from ecrf.subjects.models import Subject


def find_subject(key: str) -> Subject:
    """The subject ``key`` if the token's user may see it; 404 unknown, 403 another site's."""
    if not key or len(key) > 40 or "\x00" in key:
        raise ApiError(404, "There is no such subject.")
    return load_subject(key, current_user())


def _events(stmt) -> dict[int, list[dict]]:
    """Event occurrences by subject id, in schedule order, from one query."""
    order = {e.oid: i for i, e in enumerate(load_study().events)}
    rows = sorted(db.session.scalars(stmt), key=lambda e: (order.get(e.event_oid, len(order)), e.repeat_key))
    out: dict[int, list[dict]] = {}
    for e in rows:
        out.setdefault(e.subject_id, []).append({
            "event_oid": e.event_oid, "repeat": e.repeat_key, "status": e.status,
            "planned_date": e.planned_date and e.planned_date.isoformat(),
            "actual_date": e.actual_date and e.actual_date.isoformat(), "not_done_reason": e.not_done_reason})
    return out


def subject_json(subject: Subject, events: list[dict]) -> dict:
    """A subject as the API shows it."""
    return {"key": subject.key, "subject_no": subject.subject_no, "site": subject.site.code,
            "status": subject.status, "events": events}


@route("/subjects", "GET", summary="The subjects of your sites, with their events", ok="SubjectList")
def subjects():
    site_ids = visible_site_ids(current_user())
    rows = db.session.scalars(select(Subject).where(Subject.site_id.in_(site_ids)).order_by(Subject.key)).all()
    events = _events(select(StudyEventData).join(Subject, Subject.id == StudyEventData.subject_id)
                     .where(Subject.site_id.in_(site_ids)))
    return jsonify(subjects=[subject_json(s, events.get(s.id, [])) for s in rows])


@route("/subjects/<subject>", "GET", summary="One subject, with its events", ok="Subject", errors=(404,))
def subject(subject: str):
    found = find_subject(subject)
    events = _events(select(StudyEventData).where(StudyEventData.subject_id == found.id))
    return jsonify(subject_json(found, events.get(found.id, [])))
