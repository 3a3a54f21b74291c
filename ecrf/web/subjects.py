"""Subject list per site, new subject, and the casebook grid."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.casebook import grid as grids
from ecrf.casebook import next_step, overview, subject_search, treatment_safety
from ecrf.casebook import status as cell_status
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db
from ecrf.queries import counts as query_counts
from ecrf.queries.models import STATES as QUERY_STATES
from ecrf.sdv import progress as sdv_progress
from ecrf.study.definition import load as load_study
from ecrf.subjects import lifecycle, services
from ecrf.subjects.access import visible_site_ids
from ecrf.treatment import pregnancy
from ecrf.web.access import load_subject
from ecrf.web.actions import perform

bp = Blueprint("subjects", __name__, url_prefix="/subjects")


@bp.get("")
def index():
    site_ids = visible_site_ids(current_user)
    filters = subject_search.Filters.parse(request.args)
    rows = subject_search.search(db.session, site_ids, filters)
    sites = db.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)).all()
    return render_template("subjects/index.html", rows=rows, sites=sites, action=ActionForm(), filters=filters,
                           statuses=lifecycle.STATUSES, stages=next_step.STAGES,
                           dose_levels=subject_search.DOSE_LEVELS, events=subject_search.next_event_choices(),
                           overdue=subject_search.OVERDUE)


@bp.post("/new")
def new():
    if not ActionForm().validate_on_submit():
        abort(400)
    site = db.session.scalar(select(Site).where(Site.code == request.form.get("site", "")))
    if site is None or site.id not in visible_site_ids(current_user):
        abort(403)
    done = perform(lambda: services.create_subject(db.session, site),
                   lambda subject: f"Subject {subject.key} created in screening.")
    if not done:
        return redirect(url_for("subjects.index"))
    return redirect(url_for("subjects.casebook", key=done.result.key))


@bp.get("/<key>")
def casebook(key: str):
    subject = load_subject(key, current_user)
    view = overview.build(db.session, subject, current_user.role)
    study = load_study()
    grid = grids.build(db.session, study, subject, frozenset(pregnancy.required_forms(view.wocbp)),
                       next_event=study.event(view.step.event_oid) if view.step.event_oid else None,
                       role=current_user.role)
    legend = [(s, cell_status.LABELS[s], cell_status.MEANINGS[s]) for s in cell_status.STATUSES]
    return render_template("subjects/casebook.html", subject=subject, grid=grid, view=view, action=ActionForm(),
                           legend=legend, icons=cell_status.ICONS, labels=cell_status.LABELS,
                           legend_statuses=cell_status.STATUSES,
                           queries=query_counts.subject_counts(db.session, subject.id),
                           query_states=QUERY_STATES,
                           sdv=sdv_progress.by_subject(db.session, {subject.site_id}, subject.id).get(
                               subject.id, sdv_progress.Counts()),
                           clinical=treatment_safety.build(db.session, subject))
