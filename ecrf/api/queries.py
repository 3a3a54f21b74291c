"""Queries through the API: counts, the worklist, a thread, and each step, by the services the web uses.

Same rules, same messages: raising and answering on a locked form is 423, a step the query's state does not allow
409, a role that may not take it 403 (only the raiser's roles close, cancel and re-open), no text 422, a query on an
item the form does not have (or a form not stored yet) 404. The sponsor reads counts only.
"""
from __future__ import annotations

from flask import request
from sqlalchemy import select

from ecrf.api import bodies, inputs
from ecrf.api import replies as out
from ecrf.api.auth import current_user
from ecrf.api.errors import ApiError
from ecrf.api.forms import FORM, REPEATS, target
from ecrf.api.routing import reply, route
from ecrf.auth.models import Site
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.queries import counts, services
from ecrf.queries.models import STATES, Query
from ecrf.subjects.access import visible_site_ids

FILTERS = ("query_state", "query_site", "query_subject", "query_form", "query_age")


def _location(subject: str, site: str, event_oid: str, event_repeat: int, form_oid: str, form_repeat: int,
              item_oid: str) -> out.QueryLocation:
    return out.QueryLocation(subject=subject, site=site, event_oid=event_oid, event_repeat=event_repeat,
                             form_oid=form_oid, form_repeat=form_repeat, item_oid=item_oid)


def thread_model(q: Query) -> out.QueryThread:
    f = q.form
    return out.QueryThread(
        id=q.id, state=q.state, raised_role=q.raised_role, check_id=q.check_id, raised_at=q.raised_at,
        updated_at=q.updated_at,
        location=_location(f.event.subject.key, f.event.subject.site.code, f.event.event_oid, f.event.repeat_key,
                           f.form_oid, f.repeat_key, q.item_oid),
        messages=[out.QueryMessage(id=m.id, step=m.step, user_id=m.user_id, role=m.role, at=m.at, text=m.text,
                                   state_after=m.state_after) for m in q.messages],
        steps=services.allowed_steps(current_user(), q))


def counts_model(c: counts.Counts) -> out.QueryCounts:
    return out.QueryCounts(**c.by_state, oldest_open=c.oldest_open, oldest_open_days=c.age_days())


def _filters() -> counts.Filters:
    state = request.args.get("state") or None
    if state not in (None, *STATES):
        raise ApiError(400, f"The query argument state must be one of {', '.join(STATES)}.")
    return counts.Filters(state=state, site=request.args.get("site") or None,
                          subject=request.args.get("subject") or None, form_oid=request.args.get("form") or None,
                          min_age_days=inputs.int_arg("age", None, 0, 3650))


@route("/query-counts", "GET", summary="Query counts by state, and the oldest open query, for your sites",
       ok=out.QueryCountsReport,
       description="For every study role, the sponsor included (who reads no threads: their text may identify a "
                   "participant).")
def query_counts():
    site_ids = visible_site_ids(current_user())
    sites = db.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)).all()
    per_site = counts.by_site(db.session, site_ids)
    return reply(out.QueryCountsReport(
        study=counts_model(counts.study_counts(db.session, site_ids)),
        sites=[out.SiteQueryCounts(site=s.code, counts=counts_model(per_site.get(s.id, counts.Counts())))
               for s in sites]))


@route("/queries", "GET", summary="The queries at your sites (the worklist), oldest first", ok=out.QueryList,
       query=FILTERS, errors=(400,))
def list_queries():
    rows = counts.worklist(db.session, visible_site_ids(current_user()), _filters())
    return reply(out.QueryList(queries=[out.QueryRow(
        id=r.id, state=r.state, raised_role=r.raised_role, check_id=r.check_id, raised_at=r.raised_at,
        updated_at=r.updated_at,
        location=_location(r.subject, r.site, r.event_oid, r.event_repeat, r.form_oid, r.form_repeat, r.item_oid),
    ) for r in rows]))


@route("/queries/<int:query_id>", "GET", summary="One query with its thread", ok=out.QueryThread, errors=(404,))
def query(query_id: int):
    return reply(thread_model(services.get_query(db.session, query_id, current_user())))


@route(FORM + "/items/<item_oid>/queries", "POST", summary="Raise a query on an item of a stored form",
       ok=out.QueryThread, query=REPEATS, body=bodies.QueryText, errors=(400, 404, 423), status=201,
       description="Monitors and data managers, at their sites. 404: the form is not stored yet, or has no such "
                   "item; 423: the form is locked (a frozen form still takes queries).")
def raise_query(subject: str, event_oid: str, form_oid: str, item_oid: str):
    t = target(subject, event_oid, form_oid)
    text = inputs.body(bodies.QueryText).text
    raised = unit_of_work(db.session, lambda: services.raise_query(db.session, t, item_oid, text, current_user()))
    return reply(thread_model(raised), 201)


def _step(query_id: int, name: str):
    found = services.get_query(db.session, query_id, current_user())
    text = inputs.body(bodies.QueryText).text
    done = unit_of_work(db.session, lambda: services.step(db.session, found, name, text, current_user()))
    return reply(thread_model(done))


STEP_ERRORS = (404, 409, 423)


@route("/queries/<int:query_id>/answer", "POST", summary="Answer an open query (site staff)", ok=out.QueryThread,
       body=bodies.QueryText, errors=STEP_ERRORS)
def answer_query(query_id: int):
    return _step(query_id, "answer")


@route("/queries/<int:query_id>/close", "POST", summary="Close a query (the raiser's roles)", ok=out.QueryThread,
       body=bodies.QueryText, errors=STEP_ERRORS,
       description="A monitor's query is closed by monitors, a data manager's by data managers, a system query by "
                   "either.")
def close_query(query_id: int):
    return _step(query_id, "close")


@route("/queries/<int:query_id>/cancel", "POST", summary="Cancel a query raised in error (the raiser's roles)",
       ok=out.QueryThread, body=bodies.QueryText, errors=STEP_ERRORS)
def cancel_query(query_id: int):
    return _step(query_id, "cancel")


@route("/queries/<int:query_id>/reopen", "POST", summary="Re-open an answered or closed query (the raiser's roles)",
       ok=out.QueryThread, body=bodies.QueryText, errors=STEP_ERRORS)
def reopen_query(query_id: int):
    return _step(query_id, "reopen")
