"""Source-data verification pages: verify items of a form, the monitor's worklist, progress, the sites' plans."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth.models import Site
from ecrf.auth.permissions import can
from ecrf.capture import services as capture
from ecrf.errors import Invalid, ServiceError
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.sdv import plan as sdv_plan
from ecrf.sdv import progress
from ecrf.sdv import services as sdv
from ecrf.study import literals
from ecrf.study.definition import load as load_study
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.web.access import load_target
from ecrf.web.actions import checked
from ecrf.web.capture import page

bp = Blueprint("sdv", __name__)


def _sites(code: str | None = None) -> list[Site]:
    """The user's sites (or the one named by ``?site=``: 404 unknown, 403 another's), by code."""
    sites = list(db.session.scalars(select(Site).where(Site.id.in_(visible_site_ids(current_user)))
                                    .order_by(Site.code)))
    if code:
        chosen = [s for s in sites if s.code == code]
        if not chosen:
            abort(403 if db.session.scalar(select(Site.id).where(Site.code == code)) else 404)
        return chosen
    return sites


@bp.post("/subjects/<key>/events/<event_oid>/forms/<form_oid>/sdv")
def verify(key: str, event_oid: str, form_oid: str):
    """Verify the ticked items (``action=items``) or every item with a value (``action=form``)."""
    t = load_target(key, event_oid, form_oid, current_user)
    checked()
    whole = request.form.get("action") == "form"
    oids = request.form.getlist("item")

    def action():
        stored = capture.find_form(db.session, t)
        if whole:
            return sdv.verify_form(db.session, stored, t.subject, t.form, current_user)
        return sdv.verify_items(db.session, stored, t.subject, t.form, oids, current_user)

    try:
        rows = unit_of_work(db.session, action)
    except ServiceError as refusal:  # shown on the form page, answered with its status; nothing was stored
        message = str(refusal) if not isinstance(refusal, Invalid) else "Nothing was verified. " + " ".join(
            f"{oid}: {m}" if oid != "items" else m for oid, m in refusal.errors.items())
        return page(t, message, refusal.status)
    flash(f"{len(rows)} item(s) of {t.form.label} verified against source.", "success")
    return redirect(url_for("capture.form", key=key, event_oid=event_oid, form_oid=form_oid,
                            event_repeat=t.event_repeat, repeat=t.form_repeat))


@bp.get("/sdv")
def worklist():
    sites = _sites(request.args.get("site") or None)
    items = progress.worklist(db.session, [s.id for s in sites])
    return render_template("sdv/worklist.html", items=items, sites=sites, all_sites=_sites(),
                           chosen=request.args.get("site") or "", study=load_study())


@bp.get("/sdv/progress", endpoint="progress")
def progress_page():
    sites = _sites(request.args.get("site") or None)
    site_ids = [s.id for s in sites]
    per_site = progress.by_site(db.session, site_ids)
    per_subject = progress.by_subject(db.session, site_ids)
    subjects = list(db.session.scalars(select(Subject).where(Subject.site_id.in_(site_ids)).order_by(Subject.key))) \
        if site_ids else []
    return render_template("sdv/progress.html", sites=sites, per_site=per_site, per_subject=per_subject,
                           subjects=subjects, plans=sdv.plans(db.session, site_ids), all_sites=_sites(),
                           chosen=request.args.get("site") or "")


def _plans_page(refusal: str | None = None, status: int = 200):
    sites = _sites()
    return render_template("sdv/plans.html", sites=sites, plans=sdv.plans(db.session, [s.id for s in sites]),
                           own={s.id: sdv.own_plan(db.session, s.id) for s in sites}, default=sdv_plan.default(),
                           choices=sdv_plan.THEN, can_manage=can(current_user, "manage_sdv_plan"),
                           refusal=refusal), status


@bp.get("/sdv/plans")
def plans():
    return _plans_page()


@bp.post("/sdv/plans/<code>")
def set_plan(code: str):
    site = _sites(code)[0]
    checked()

    def action():
        text = (request.form.get("full_first_n") or "").strip()
        try:
            count = literals.integer(text, 0, sdv_plan.MAX_FULL_FIRST, "full_first_n")
        except literals.BadLiteral:
            raise Invalid({"full_first_n": f"Give a whole number of subjects from 0 to {sdv_plan.MAX_FULL_FIRST}."}) \
                from None
        return sdv.set_plan(db.session, site, count, request.form.get("then", ""), current_user)

    try:
        unit_of_work(db.session, action)
    except ServiceError as refusal:
        message = str(refusal) if not isinstance(refusal, Invalid) else " ".join(refusal.errors.values())
        return _plans_page(f"The plan of site {code} was not changed: {message}", refusal.status)
    flash(f"The SDV plan of site {code} is saved.", "success")
    return redirect(url_for("sdv.plans"))
