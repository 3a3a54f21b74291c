"""Web pages for API tokens: list, create (shown once) and revoke; admins see and revoke everyone's."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length

from ecrf.auth import tokens
from ecrf.auth.models import ApiToken
from ecrf.auth.permissions import can
from ecrf.forms.webforms import ActionForm
from ecrf.infra.extensions import db
from ecrf.web.actions import perform

bp = Blueprint("tokens", __name__)

EXPIRY_CHOICES = [("30", "30 days"), ("90", "90 days"), ("365", "1 year"), ("0", "Never")]


class TokenForm(FlaskForm):
    label = StringField("Label", validators=[Length(max=100)],
                        description="What the token is for, e.g. the script or system that uses it.")
    expires_days = SelectField("Expires after", choices=EXPIRY_CHOICES, default="90")
    submit = SubmitField("Create token")


@bp.route("/account/tokens", methods=["GET", "POST"])
def index():
    form = TokenForm()
    if form.validate_on_submit() and (done := perform(
            lambda: tokens.issue(db.session, current_user, label=form.label.data or "",
                                 expires_days=int(form.expires_days.data) or None), field=form.label)):
        row, raw = done.result
        return render_template("api/token_created.html", token=row, raw=raw)
    rows = tokens.visible(db.session, current_user)
    return render_template("api/tokens.html", form=form, tokens=rows, action=ActionForm(), status=tokens.status)


@bp.post("/account/tokens/<int:token_id>/revoke")
def revoke(token_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != current_user.id and not can(current_user, "revoke_any_token")):
        abort(404)
    done = perform(lambda: tokens.revoke(db.session, row))
    if done and done.result:
        flash(f"Token {row.prefix}… of {row.user.username} revoked.", "success")
    elif done:
        flash(f"Token {row.prefix}… was already revoked.", "info")
    return redirect(url_for("tokens.index"))
