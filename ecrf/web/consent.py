"""The ICF version register, and recording a withdrawal of consent."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ecrf.auth.permissions import can
from ecrf.consent import services
from ecrf.consent.models import POPULATIONS, IcfVersion
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db
from ecrf.web.access import load_subject
from ecrf.web.actions import checked, form_date, perform

bp = Blueprint("consent", __name__)


@bp.route("/icf-versions", methods=["GET", "POST"])
def icf_versions():
    if request.method == "POST":
        checked()
        if not can(current_user, "register_icf_version"):
            abort(403)
        perform(lambda: services.register_version(db.session, request.form.get("version", ""),
                                                  request.form.get("population", ""), form_date("approved_on")),
                "ICF version registered; subjects who signed an older version are flagged for re-consent.")
        return redirect(url_for("consent.icf_versions"))
    rows = db.session.scalars(select(IcfVersion).order_by(IcfVersion.population, IcfVersion.approved_on)).all()
    return render_template("consent/icf_versions.html", rows=rows, populations=POPULATIONS, action=ActionForm())


@bp.post("/subjects/<key>/withdraw")
def withdraw(key: str):
    subject = load_subject(key, current_user)
    checked()
    perform(lambda: services.withdraw(db.session, subject, request.form.get("scope", ""), form_date("withdrawn_on"),
                                      request.form.get("note")),
            "The withdrawal of consent is recorded.")
    return redirect(url_for("subjects.casebook", key=key))
