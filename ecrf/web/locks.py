"""Freeze and lock: the data manager's page to freeze, lock and undo at each scope, and the list of them all."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth.models import Site, User
from ecrf.capture import locks
from ecrf.capture.lock_models import LEVELS, SCOPES
from ecrf.errors import Invalid
from ecrf.forms.webforms import ActionForm
from ecrf.infra.args import int_arg
from ecrf.infra.extensions import db
from ecrf.study.definition import load as load_study
from ecrf.subjects.access import visible_site_ids
from ecrf.web.access import load_subject
from ecrf.web.actions import checked, perform

bp = Blueprint("locks", __name__, url_prefix="/locks")

#: the fields a link (casebook, form page) may prefill
PREFILL = ("scope", "subject", "event_oid", "event_repeat", "form_oid", "form_repeat", "site")


def _page(status: int = 200, values: dict | None = None, errors: dict | None = None):
    subject_key = request.args.get("subject") or (values or {}).get("subject") or None
    subject = load_subject(subject_key, current_user) if subject_key and request.method == "GET" else None
    study = load_study()
    sites = db.session.scalars(select(Site).where(Site.id.in_(visible_site_ids(current_user) or {-1}))
                               .order_by(Site.code)).all()
    rows = locks.visible(db.session, visible_site_ids(current_user), subject.id if subject else None)
    ids = {r.created_by_id for r in rows} | {r.undone_by_id for r in rows if r.undone_by_id}
    names = dict(db.session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    return render_template(
        "locks/index.html", rows=rows, names=names, subject=subject, study=study, sites=sites, scopes=SCOPES,
        levels=LEVELS,
        scheduled=[e for e in study.events if e.type == "Scheduled"], action=ActionForm(),
        values=values if values is not None else {k: request.args.get(k, "") for k in PREFILL},
        errors=errors or {}), status


@bp.get("")
def index():
    return _page()


@bp.post("")
def create():
    checked()
    form = request.form
    values = {k: form.get(k, "") for k in (*PREFILL, "level", "reason", "up_to_event_oid")}
    scope = values["scope"]
    site = subject = None
    if scope == "site" and values["site"]:
        site = db.session.scalar(select(Site).where(Site.code == values["site"]))
        if site is None:
            return _page(422, values, {"site": f"There is no site {values['site']}."})
    if scope in ("subject", "event", "form") and values["subject"]:
        subject = load_subject(values["subject"], current_user)
    event_repeat = int_arg(form, "event_repeat", 1, 1)
    form_repeat = int_arg(form, "form_repeat", 1, 1)
    done = perform(lambda: locks.close(
        db.session, current_user, scope=scope, level=values["level"], reason=values["reason"], site=site,
        subject=subject, event_oid=values["event_oid"] or None, event_repeat=event_repeat,
        form_oid=values["form_oid"] or None, form_repeat=form_repeat,
        up_to_event_oid=values["up_to_event_oid"] or None),
        lambda row: f"{row.target_key}: {'locked' if row.level == 'locked' else 'frozen'}.",
        field=SimpleNamespace(errors=[]))  # the refusal is shown on the page below
    if not done:
        refusal = done.refusal
        errors = refusal.errors if isinstance(refusal, Invalid) else {"": str(refusal)}
        return _page(refusal.status, values, errors)
    return redirect(url_for("locks.index", subject=values["subject"] or None))


@bp.post("/<int:lock_id>/undo")
def undo(lock_id: int):
    checked()
    done = perform(lambda: locks.undo(db.session, current_user, lock_id, request.form.get("undo_reason")),
                   lambda row: f"{row.target_key}: the {'lock' if row.level == 'locked' else 'freeze'} is undone.",
                   field=SimpleNamespace(errors=[]))
    if not done:
        refusal = done.refusal
        errors = refusal.errors if isinstance(refusal, Invalid) else {"undo": str(refusal)}
        return _page(refusal.status, {}, {**errors, "undo_id": lock_id})
    return redirect(url_for("locks.index", subject=request.form.get("subject") or None))
