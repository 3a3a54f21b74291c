"""Which subjects and sites an export request covers: the requester's sites, never more (one home for it)."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ecrf.auth.models import Site
from ecrf.errors import NotFound
from ecrf.exports.kinds import Request
from ecrf.subjects.models import Subject


def sites(session: Session, request: Request) -> list[Site]:
    return list(session.scalars(select(Site).where(Site.id.in_(request.site_ids)).order_by(Site.code)))


def subjects_select(request: Request) -> Select:
    """The statement behind :func:`subjects`, for writers that stream (or join more to it) instead of listing."""
    stmt = select(Subject).join(Site, Subject.site_id == Site.id).where(Subject.site_id.in_(request.site_ids))
    if request.subject_key:
        stmt = stmt.where(Subject.key == request.subject_key)
    return stmt.order_by(Site.code, Subject.key)


def subjects(session: Session, request: Request) -> list[Subject]:
    """The subjects of the request's sites, by site and subject code; one subject when the request names one."""
    found = list(session.scalars(subjects_select(request)))
    if request.subject_key and not found:
        raise NotFound(f"no subject {request.subject_key} at your sites")
    return found
