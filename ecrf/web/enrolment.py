"""Eligibility (review and signed confirmation), screen failure, enrolment, dose decisions, the screening log."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from ecrf.auth import totp
from ecrf.auth.permissions import can
from ecrf.casebook import sites
from ecrf.enrolment import guidance, services
from ecrf.enrolment.eligibility import read_snapshot
from ecrf.enrolment.models import DECISIONS, DoseDecision
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db
from ecrf.safety import dlt
from ecrf.study import clock, protocol
from ecrf.study.clock import utcnow
from ecrf.study.definition import load as load_study
from ecrf.subjects.access import visible_site_ids
from ecrf.subjects.models import Subject
from ecrf.web.access import load_subject
from ecrf.web.actions import checked, form_date, perform
from ecrf.web.signatures import opened_signing_session

bp = Blueprint("enrolment", __name__)


def _local_today(subject) -> date:
    return clock.today_at(subject.site.zone)


@bp.get("/subjects/<key>/eligibility")
def eligibility(key: str):
    subject = load_subject(key, current_user)
    review = services.latest_review(db.session, subject)
    snapshot = read_snapshot(review.snapshot) if review else None
    seen = services.assessment(db.session, subject)
    missing = seen.missing
    return render_template("enrolment/eligibility.html", subject=subject, result=seen.result,
                           missing=missing, missing_words=guidance.missing_labels(missing),
                           conflict=seen.conflict, form_answer=seen.form_answer, item_label=_item_label,
                           acknowledged=services.acknowledged(review) if review else [],
                           review=review, snapshot=snapshot, action=ActionForm(),
                           need_code=totp.enabled(db.session, current_user))


def _item_label(oid: str) -> str:
    """An item's label on the CRF (its OID when the definition no longer has it)."""
    item = load_study().items.get(oid)
    return item.label if item else oid


@bp.post("/subjects/<key>/eligibility")
def confirm(key: str):
    subject = load_subject(key, current_user)
    checked()
    done = perform(lambda: services.confirm_eligibility(
        db.session, subject, current_user, request.form.get("password", ""), request.form.getlist("override"),
        request.form.get("reason"), code=request.form.get("code"), username=request.form.get("username"),
        despite_missing=request.form.get("despite_missing") == "yes"),
        lambda review: "Eligibility confirmed: eligible." if review.eligible else "Recorded: not eligible.")
    if done:
        opened_signing_session()
    return redirect(url_for("enrolment.eligibility", key=key))


@bp.post("/subjects/<key>/enrol")
def enrol(key: str):
    subject = load_subject(key, current_user)
    checked()
    perform(lambda: services.enrol(db.session, subject, _local_today(subject)),
            lambda s: f"Enrolled as {s.subject_no}, dose level {s.dose_level}.")
    return redirect(url_for("subjects.casebook", key=key))


@bp.post("/subjects/<key>/screen-fail")
def screen_fail(key: str):
    subject = load_subject(key, current_user)
    checked()
    perform(lambda: services.screen_fail(db.session, subject, request.form.get("reason", "")),
            "Recorded as a screen failure.")
    return redirect(url_for("subjects.casebook", key=key))


@bp.route("/dose-levels", methods=["GET", "POST"])
def dose_levels():
    if request.method == "POST":
        checked()
        if not can(current_user, "record_dose_decision"):
            abort(403)
        perform(lambda: services.record_decision(db.session, current_user, request.form.get("decision", ""),
                                                 form_date("decided_on"), request.form.get("rationale", "")),
                "Decision recorded.")
        return redirect(url_for("enrolment.dose_levels"))
    decisions = db.session.scalars(select(DoseDecision).order_by(DoseDecision.decided_on, DoseDecision.id)).all()
    per_level = dict(db.session.execute(select(Subject.dose_level, func.count()).where(Subject.dose_level.is_not(None))
                                        .group_by(Subject.dose_level)).all())
    subjects = db.session.scalars(select(Subject).where(Subject.dose_level.is_not(None),
                                                        Subject.site_id.in_(visible_site_ids(current_user)))
                                  .order_by(Subject.dose_level, Subject.cohort_seq)).all()
    # the dose-level safety review: each level's DLTs (the trial's count) and the DLTs of the reader's sites
    review = dlt.review(db.session, visible_site_ids(current_user), current_user.role)
    dlts_of: dict[str, list] = {}
    for d in review.dlts:
        dlts_of.setdefault(d.subject_key, []).append(d)
    return render_template("enrolment/dose_levels.html", decisions=decisions,
                           current=services.current_dose_level(db.session),
                           per_level=per_level, subjects=subjects, choices=DECISIONS, action=ActionForm(),
                           today=utcnow().date(), dlt_counts=review.counts, dlts=review.dlts, dlts_of=dlts_of,
                           levels=range(1, len(protocol.active().dose_levels_cells_per_kg) + 1),
                           dlt_days=protocol.active().dlt_days)


@bp.get("/screening-log")
def screening_log():
    return render_template("enrolment/screening_log.html",
                           subjects=sites.screening_log(db.session, visible_site_ids(current_user)))
