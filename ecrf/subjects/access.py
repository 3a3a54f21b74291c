"""Site-level access: a user sees only the subjects of their sites (every face asks here)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.errors import Forbidden, NotFound
from ecrf.subjects.models import Subject


def visible_site_ids(user) -> set[int]:
    return user.site_ids


def find_subject(session: Session, key: str, user) -> Subject:
    """The subject ``key`` if ``user`` may see it; NotFound when unknown, Forbidden when another site's."""
    subject = session.scalar(select(Subject).where(Subject.key == key))
    if subject is None:
        raise NotFound(f"There is no subject {key}.")
    if subject.site_id not in visible_site_ids(user):
        raise Forbidden("This subject belongs to another site.")
    return subject
