"""The ICF version register, and recording a withdrawal of consent."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth.webforms import ActionForm
from ecrf.capture.errors import CaptureError, Refused
from ecrf.consent import services
from ecrf.consent.models import POPULATIONS, IcfVersion
from ecrf.extensions import db
from ecrf.subjects.access import load_subject

bp = Blueprint("consent", __name__)


def _checked() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


def _date(field: str) -> date:
    try:
        return date.fromisoformat(request.form.get(field, ""))
    except ValueError:
        raise Refused("Give the date as YYYY-MM-DD.") from None


@bp.route("/icf-versions", methods=["GET", "POST"])
def icf_versions():
    if request.method == "POST":
        _checked()
        if current_user.role not in ("investigator", "data_manager"):
            abort(403)
        try:
            services.register_version(db.session, request.form.get("version", ""), request.form.get("population", ""),
                                      _date("approved_on"))
        except CaptureError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        else:
            db.session.commit()
            flash("ICF version registered; subjects who signed an older version are flagged for re-consent.", "success")
        return redirect(url_for("consent.icf_versions"))
    rows = db.session.scalars(select(IcfVersion).order_by(IcfVersion.population, IcfVersion.approved_on)).all()
    return render_template("consent/icf_versions.html", rows=rows, populations=POPULATIONS, action=ActionForm())


@bp.post("/subjects/<key>/withdraw")
def withdraw(key: str):
    subject = load_subject(key, current_user)
    _checked()
    try:
        services.withdraw(db.session, subject, request.form.get("scope", ""), _date("withdrawn_on"),
                          request.form.get("note"))
    except CaptureError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        db.session.commit()
        flash("The withdrawal of consent is recorded.", "success")
    return redirect(url_for("subjects.casebook", key=key))

