"""Charts over study day: a subject's measures (linked from the casebook page) and the cohort's swimmer plot with
each subject's latest status, for the reader's sites. Each page reads a fixed number of statements, whatever
the number of visits or subjects (ecrf.charts.series)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from ecrf.charts import figures, series
from ecrf.infra.extensions import db
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.web.access import load_subject

bp = Blueprint("charts", __name__)


@bp.get("/subjects/<key>/charts")
def subject(key: str):
    found = load_subject(key, current_user)
    charts = series.for_subject(db.session, found, current_user.role)
    shown = [(f, Markup(f.svg)) for f in figures.subject_figures(charts)]  # noqa: S704 (XML-escaped by renderSVG)
    return render_template("charts/subject.html", subject=found, charts=charts, figures=shown,
                           episodes=figures.episode_rows(charts))


@bp.get("/charts")
def cohort():
    subjects = db.session.scalars(select(Subject).where(Subject.site_id.in_(visible_site_ids(current_user)))
                                  .order_by(Subject.key)).all()
    found = series.cohort(db.session, subjects, current_user.role)
    return render_template("charts/cohort.html", swimmer=Markup(figures.swimmer_svg(found.lanes)),  # noqa: S704
                           columns=figures.STATUS_COLUMNS, rows=figures.status_rows(found.statuses))
