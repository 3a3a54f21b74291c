"""The site calendar, and marking a visit not done."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.infra.args import int_arg, repeat_arg
from ecrf.infra.extensions import db
from ecrf.study import clock
from ecrf.study.clock import utcnow
from ecrf.study.definition import load as load_study
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.visits import services
from ecrf.web.access import load_subject
from ecrf.web.actions import checked, perform

bp = Blueprint("visits", __name__)

SHOWN = ("overdue", "due", "upcoming", "done_out_of_window")


@bp.get("/calendar")
def calendar():
    subjects = list(db.session.scalars(select(Subject).where(Subject.site_id.in_(visible_site_ids(current_user)),
                                                             Subject.status.not_in(("screen_failed",)))
                                       .order_by(Subject.key)))
    today = utcnow().date()
    horizon = int_arg(request.args, "days", 30, 0, 3650)
    rows = []
    planned = services.plans(db.session, subjects)
    for subject in subjects:
        local_today = clock.today_at(subject.site.zone)
        for p in planned[subject.id]:
            if p.state in SHOWN and (p.state != "upcoming" or (p.window_start - local_today).days <= horizon):
                rows.append((subject, p))
    order = {s: n for n, s in enumerate(SHOWN)}
    rows.sort(key=lambda r: (order[r[1].state], r[1].target or today))
    return render_template("visits/calendar.html", rows=rows, horizon=horizon)


@bp.post("/subjects/<key>/events/<event_oid>/not-done")
def not_done(key: str, event_oid: str):
    subject = load_subject(key, current_user)
    checked()
    event, repeat = load_study().event(event_oid), repeat_arg(request.form, "event_repeat")
    if event is None or event.type == "Common" or repeat < 1 or (repeat > 1 and not event.repeating):
        abort(404)
    perform(lambda: services.mark_not_done(db.session, subject, event_oid, repeat, request.form.get("reason", "")),
            "The visit is marked not done.")
    return redirect(url_for("subjects.casebook", key=key))
