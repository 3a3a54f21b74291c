"""/subjects: the token's subjects (its user's sites only) with their events, a new subject in screening, and a
subject's casebook grid."""
from __future__ import annotations

from sqlalchemy import select

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.routing import reply, route
from ecrf.auth.models import Site
from ecrf.casebook import grid as grids
from ecrf.casebook import overview
from ecrf.errors import ServiceError
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.study.definition import load as load_study
from ecrf.subjects import services
from ecrf.subjects.access import find_subject as find_visible_subject
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.treatment import pregnancy
from ecrf.visits.services import plans


def find_subject(key: str) -> Subject:
    """The subject ``key`` if the token's user may see it; 404 unknown, 403 another site's."""
    if not key or len(key) > 40 or "\x00" in key:
        raise ApiError(404, "There is no such subject.")
    try:
        return find_visible_subject(db.session, key, current_user())
    except ServiceError as exc:
        raise ApiError(exc.status) from None


def _events(subjects: list[Subject]) -> dict[int, list[out.SubjectEvent]]:
    """Each subject's visits in schedule order: planned date and window (derived from consent, lymphodepletion
    and infusion dates), actual date and state; two queries whatever the number of subjects."""
    return {subject_id: [out.SubjectEvent(
        event_oid=p.oid, repeat=p.repeat, state=p.state, planned_date=p.target, window_start=p.window_start,
        window_end=p.window_end, actual_date=p.actual, not_done_reason=p.reason,
    ) for p in visits if p.state != "not_planned"] for subject_id, visits in plans(db.session, subjects).items()}


def subject_model(subject: Subject, events: list[out.SubjectEvent]) -> out.Subject:
    """A subject as the API shows it."""
    return out.Subject(key=subject.key, subject_no=subject.subject_no, site=subject.site.code,
                       status=subject.status, events=events)


@route("/subjects", "GET", summary="The subjects of your sites, with their events", ok=out.SubjectList)
def subjects():
    site_ids = visible_site_ids(current_user())
    rows = db.session.scalars(select(Subject).where(Subject.site_id.in_(site_ids)).order_by(Subject.key)).all()
    events = _events(list(rows))
    return reply(out.SubjectList(subjects=[subject_model(s, events.get(s.id, [])) for s in rows]))


@route("/subjects", "POST", summary="Create a subject in screening at one of your sites", ok=out.Subject,
       body=bodies.SubjectCreate, errors=(404,), status=201,
       description="Investigators and coordinators of the site. The subject is known by its screening number "
                   "(site code, S, sequence). 403 for another site's code; 404 for a code no site has.")
def create_subject():
    code = inputs.body(bodies.SubjectCreate).site
    site = db.session.scalar(select(Site).where(Site.code == code))
    if site is None:
        raise ApiError(404, f"There is no site {code}.")
    if site.id not in visible_site_ids(current_user()):
        raise ApiError(403, f"Site {code} is not one of your sites.")
    created = unit_of_work(db.session, lambda: services.create_subject(db.session, site))
    return reply(subject_model(created, _events([created]).get(created.id, [])), 201)


@route("/subjects/<subject>", "GET", summary="One subject, with its events", ok=out.Subject, errors=(404,))
def subject(subject: str):
    found = find_subject(subject)
    return reply(subject_model(found, _events([found]).get(found.id, [])))


@route("/subjects/<subject>/casebook", "GET", summary="The subject's casebook grid: each form's state at each visit",
       ok=out.Casebook, errors=(404,),
       description="As the subject's web page: columns are event occurrences, each with a cell per form collected "
                   "there. A form is required by the schedule or, for a woman of childbearing potential, by the "
                   "pregnancy-testing rules.")
def casebook(subject: str):
    found = find_subject(subject)
    wocbp = overview.build(db.session, found).wocbp
    grid = grids.build(db.session, load_study(), found, frozenset(pregnancy.required_forms(wocbp)))
    return reply(out.Casebook(
        subject=found.key, forms=[out.CasebookRow(form_oid=oid, label=label) for oid, label in grid.rows],
        columns=[out.CasebookColumn(event_oid=c.event.oid, repeat=c.repeat, heading=c.heading, cells=[
            out.CasebookCell(form_oid=oid, status=cell.status, required=cell.required, count=cell.count)
            for oid, cell in c.cells.items()]) for c in grid.columns]))
