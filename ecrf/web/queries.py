"""Queries on the web: the worklists (a monitor's or data manager's, a site's), a thread, and each step.

The form page (ecrf.web.capture) shows each item's badge and threads and posts here. Every step goes through
ecrf.queries.services in one unit of work; a refusal answers with its status (403, 404, 409, 422, 423) and says
why on the page it shows.
"""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.auth.permissions import can
from ecrf.errors import Forbidden, NotFound
from ecrf.forms.webforms import ActionForm
from ecrf.infra.args import BadLiteral, int_arg
from ecrf.infra.extensions import db
from ecrf.queries import counts, services
from ecrf.queries.models import OPEN, STATES
from ecrf.study.clock import utcnow
from ecrf.study.definition import load as load_study
from ecrf.subjects.access import visible_site_ids
from ecrf.web.access import load_target
from ecrf.web.actions import checked, perform

bp = Blueprint("queries", __name__)


def filters_from(args) -> counts.Filters:
    """The worklist filters of a query string; 400 for a state or age that cannot be one."""
    state = args.get("state") or None
    if state not in (None, *STATES):
        abort(400)
    try:
        age = int_arg(args, "age", None, 0, 3650)
    except BadLiteral:
        abort(400)
    return counts.Filters(state=state, site=args.get("site") or None, subject=args.get("subject") or None,
                          form_oid=args.get("form") or None, min_age_days=age)


@bp.get("/queries")
def worklist():
    site_ids = visible_site_ids(current_user)
    sites = db.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)).all()
    per_site = counts.by_site(db.session, site_ids)
    study = counts.study_counts(db.session, site_ids)
    rows = None
    if can(current_user, "read_queries"):
        filters = filters_from(request.args)
        if "state" not in request.args and can(current_user, "answer_query"):
            filters = counts.Filters(**{**filters.__dict__, "state": OPEN})  # the site's list: what to answer
        rows = counts.worklist(db.session, site_ids, filters)
    else:
        filters = counts.Filters()
    return render_template("queries/worklist.html", rows=rows, filters=filters, sites=sites, per_site=per_site,
                           study=study, states=STATES, forms=load_study().forms,
                           now=utcnow())


def _load(query_id: int):
    try:
        return services.get_query(db.session, query_id, current_user)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def _thread_page(query, status: int = 200):
    return render_template("queries/thread.html", q=query, steps=services.allowed_steps(current_user, query),
                           action=ActionForm()), status


@bp.get("/queries/<int:query_id>")
def thread(query_id: int):
    return _thread_page(_load(query_id))


def _step(query_id: int, name: str):
    query = _load(query_id)
    checked()
    done = perform(lambda: services.step(db.session, query, name, request.form.get("text"), current_user),
                   f"The query is {services.TRANSITIONS[name][1]}.")
    if not done:
        return _thread_page(_load(query_id), done.refusal.status)
    return _back(query)


def _back(query):
    if request.form.get("back") == "form":
        f = query.form
        return redirect(url_for("capture.form", key=f.event.subject.key, event_oid=f.event.event_oid,
                                form_oid=f.form_oid, event_repeat=f.event.repeat_key, repeat=f.repeat_key,
                                _anchor=f"item-{query.item_oid}"))
    return redirect(url_for("queries.thread", query_id=query.id))


@bp.post("/queries/<int:query_id>/answer")
def answer(query_id: int):
    return _step(query_id, "answer")


@bp.post("/queries/<int:query_id>/close")
def close(query_id: int):
    return _step(query_id, "close")


@bp.post("/queries/<int:query_id>/cancel")
def cancel(query_id: int):
    return _step(query_id, "cancel")


@bp.post("/queries/<int:query_id>/reopen")
def reopen(query_id: int):
    return _step(query_id, "reopen")


@bp.post("/subjects/<key>/events/<event_oid>/forms/<form_oid>/items/<item_oid>/queries")
def raise_query(key: str, event_oid: str, form_oid: str, item_oid: str):
    t = load_target(key, event_oid, form_oid, current_user)
    checked()
    done = perform(lambda: services.raise_query(db.session, t, item_oid, request.form.get("text"), current_user),
                   "The query is raised.")
    if not done:
        back = url_for("capture.form", key=key, event_oid=event_oid, form_oid=form_oid, event_repeat=t.event_repeat,
                       repeat=t.form_repeat)
        return render_template("queries/refused.html", back=back), done.refusal.status
    return _back(done.result)
