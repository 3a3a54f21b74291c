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


def request_for(session: Session, user, kind_name: str, site_code: str | None = None,
                subject_key: str | None = None) -> Request:
    """A person's request for an export: refused unless their role may take the kind's action; covering their
    sites (or the one named, if theirs) and, for a casebook, a subject at one of them."""
    from ecrf.auth.permissions import ACTIONS
    from ecrf.errors import Forbidden, Invalid
    from ecrf.exports.kinds import kinds

    definition = kinds().get(kind_name)
    if definition is None:
        raise Invalid({"kind": f"There is no export {kind_name!r}."})
    if user.role not in ACTIONS[definition.action]:
        raise Forbidden(f"Your role may not export: {definition.label}.")
    site_ids = frozenset(user.site_ids)
    if site_code:
        site = session.scalar(select(Site).where(Site.code == site_code))
        if site is None or site.id not in site_ids:
            raise NotFound(f"There is no site {site_code} among yours.")
        site_ids = frozenset({site.id})
    if kind_name == "site_archive" and len(site_ids) != 1:
        raise Invalid({"site": "A site archive is of one site: choose it."})
    request = Request(kind_name, user.username, user.full_name, user.role, site_ids, user.id, subject_key)
    if subject_key:
        subjects(session, request)  # NotFound unless the subject is at the user's sites
    elif kind_name == "casebook":
        raise Invalid({"subject": "A casebook is of one subject: name it."})
    return request
