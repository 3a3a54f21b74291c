"""GET /subjects and /subjects/{subject}: the token's subjects (its user's sites only) with their events."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import route
from ecrf.errors import ServiceError
from ecrf.infra.extensions import db
from ecrf.subjects.access import find_subject as find_visible_subject
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.visits.services import plans


def find_subject(key: str) -> Subject:
    """The subject ``key`` if the token's user may see it; 404 unknown, 403 another site's."""
    if not key or len(key) > 40 or "\x00" in key:
        raise ApiError(404, "There is no such subject.")
    try:
        return find_visible_subject(db.session, key, current_user())
    except ServiceError as exc:
        raise ApiError(exc.status) from None


def _events(subjects: list[Subject]) -> dict[int, list[dict]]:
    """Each subject's visits in schedule order: planned date and window (derived from consent, lymphodepletion
    and infusion dates), actual date and state; two queries whatever the number of subjects."""
    out: dict[int, list[dict]] = {}
    for subject_id, visits in plans(db.session, subjects).items():
        out[subject_id] = [{
            "event_oid": p.oid, "repeat": p.repeat, "state": p.state,
            "planned_date": p.target and p.target.isoformat(),
            "window_start": p.window_start and p.window_start.isoformat(),
            "window_end": p.window_end and p.window_end.isoformat(),
            "actual_date": p.actual and p.actual.isoformat(), "not_done_reason": p.reason,
        } for p in visits if p.state != "not_planned"]
    return out


def subject_json(subject: Subject, events: list[dict]) -> dict:
    """A subject as the API shows it."""
    return {"key": subject.key, "subject_no": subject.subject_no, "site": subject.site.code,
            "status": subject.status, "events": events}


@route("/subjects", "GET", summary="The subjects of your sites, with their events", ok="SubjectList")
def subjects():
    site_ids = visible_site_ids(current_user())
    rows = db.session.scalars(select(Subject).where(Subject.site_id.in_(site_ids)).order_by(Subject.key)).all()
    events = _events(list(rows))
    return jsonify(subjects=[subject_json(s, events.get(s.id, [])) for s in rows])


@route("/subjects/<subject>", "GET", summary="One subject, with its events", ok="Subject", errors=(404,))
def subject(subject: str):
    found = find_subject(subject)
    events = _events([found])
    return jsonify(subject_json(found, events.get(found.id, [])))
