"""The web face's subject lookup: the domain's site check, answered as a 404 or 403 page."""
from __future__ import annotations

from flask import abort, request

from ecrf.capture import services
from ecrf.errors import ServiceError
from ecrf.infra.args import repeat_arg
from ecrf.infra.extensions import db
from ecrf.subjects import access
from ecrf.subjects.models import Subject


def load_subject(key: str, user) -> Subject:
    """The subject ``key`` if ``user`` may see it; 404 when unknown, 403 when another site's."""
    try:
        return access.find_subject(db.session, key, user)
    except ServiceError as exc:
        abort(exc.status)


def load_target(key: str, event_oid: str, form_oid: str, user) -> services.Target:
    """The form at ``key``/``event_oid``/``form_oid`` with the request's repeats, for a user who may see the
    subject; 404 for unknown OIDs or repeats."""
    subject = load_subject(key, user)
    try:
        return services.resolve(subject, event_oid, form_oid, repeat_arg(request.args, "event_repeat"),
                                repeat_arg(request.args, "repeat"))
    except ServiceError as exc:
        abort(exc.status)
