"""The site calendar, and marking a visit not done."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user

from ecrf.casebook import sites
from ecrf.infra.extensions import db
from ecrf.study.definition import load as load_study
from ecrf.subjects.access import visible_site_ids
from ecrf.visits import services
from ecrf.web.access import load_subject
from ecrf.web.actions import checked, perform

bp = Blueprint("visits", __name__)

@bp.get("/calendar")
def calendar():
    days = request.args.get("days", str(sites.DEFAULT_HORIZON))
    horizon = int(days) if days.isdigit() else sites.DEFAULT_HORIZON
    rows = sites.calendar(db.session, visible_site_ids(current_user), horizon)
    return render_template("visits/calendar.html", rows=rows, horizon=horizon)


@bp.post("/subjects/<key>/events/<event_oid>/not-done")
def not_done(key: str, event_oid: str):
    subject = load_subject(key, current_user)
    checked()
    event, repeat = load_study().event(event_oid), request.form.get("event_repeat", 1, type=int)
    if event is None or event.type == "Common" or repeat < 1 or (repeat > 1 and not event.repeating):
        abort(404)
    perform(lambda: services.mark_not_done(db.session, subject, event_oid, repeat, request.form.get("reason", "")),
            "The visit is marked not done.")
    return redirect(url_for("subjects.casebook", key=key))
