"""Subject list per site, new subject, and the casebook grid."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ecrf.auth.models import Site
from ecrf.capture.models import FormData, StudyEventData
from ecrf.casebook import grid as grids
from ecrf.casebook import overview, treatment_safety
from ecrf.casebook import status as cell_status
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db
from ecrf.queries import counts as query_counts
from ecrf.queries.models import STATES as QUERY_STATES
from ecrf.sdv import progress as sdv_progress
from ecrf.study.definition import load as load_study
from ecrf.subjects import services
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.treatment import pregnancy
from ecrf.web.access import load_subject
from ecrf.web.actions import perform

bp = Blueprint("subjects", __name__, url_prefix="/subjects")


@bp.get("")
def index():
    site_ids = visible_site_ids(current_user)
    last_change = (
        select(StudyEventData.subject_id, func.max(FormData.updated_at).label("last"),
               func.count(FormData.id).label("forms"))
        .join(FormData.event).group_by(StudyEventData.subject_id).subquery()
    )
    rows = db.session.execute(
        select(Subject, last_change.c.last, last_change.c.forms)
        .outerjoin(last_change, last_change.c.subject_id == Subject.id)
        .where(Subject.site_id.in_(site_ids)).order_by(Subject.key)
    ).all()
    sites = db.session.scalars(select(Site).where(Site.id.in_(site_ids)).order_by(Site.code)).all()
    return render_template("subjects/index.html", rows=rows, sites=sites, action=ActionForm())


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
    grid = grids.build(db.session, load_study(), subject, frozenset(pregnancy.required_forms(view.wocbp)))
    legend = [(s, cell_status.LABELS[s], cell_status.MEANINGS[s]) for s in cell_status.STATUSES]
    return render_template("subjects/casebook.html", subject=subject, grid=grid, view=view, action=ActionForm(),
                           legend=legend, queries=query_counts.subject_counts(db.session, subject.id),
                           query_states=QUERY_STATES,
                           sdv=sdv_progress.by_subject(db.session, {subject.site_id}, subject.id).get(
                               subject.id, sdv_progress.Counts()),
                           clinical=treatment_safety.build(db.session, subject))
