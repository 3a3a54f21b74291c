"""Site-level access: a user sees only the subjects of their sites."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ecrf.extensions import db
from ecrf.subjects.models import Subject


def visible_site_ids(user) -> set[int]:
    return user.site_ids


def load_subject(key: str, user) -> Subject:
    """The subject ``key`` if ``user`` may see it; 404 when unknown, 403 when another site's."""
    subject = db.session.scalar(select(Subject).where(Subject.key == key))
    if subject is None:
        abort(404)
    if subject.site_id not in visible_site_ids(user):
        abort(403)
    return subject
