"""The web face's subject lookup: the domain's site check, answered as a 404 or 403 page."""
from __future__ import annotations

from flask import abort

from ecrf.errors import ServiceError
from ecrf.infra.extensions import db
from ecrf.subjects import access
from ecrf.subjects.models import Subject


def load_subject(key: str, user) -> Subject:
    """The subject ``key`` if ``user`` may see it; 404 when unknown, 403 when another site's."""
    try:
        return access.find_subject(db.session, key, user)
    except ServiceError as exc:
        abort(exc.status)
