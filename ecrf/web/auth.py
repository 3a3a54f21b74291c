"""Login, logout, changing one's password and setting it from a reset link."""
from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from ecrf.audit.context import Actor, set_actor
from ecrf.audit.trail import record
from ecrf.auth import services
from ecrf.forms.webforms import ChangePasswordForm, LoginForm, ResetPasswordForm
from ecrf.infra.extensions import db
from ecrf.infra.work import unit_of_work
from ecrf.web.actions import perform

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if not (target or "").isprintable():  # a control character (a newline) cannot go into a Location header
        target = None
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("web.index")


def _start_session(user) -> None:
    session.clear()  # a fresh session on login (no fixation)
    login_user(user)
    session.permanent = True
    session["last_seen"] = time.time()
    session["stamp"] = user.password_changed_at.isoformat() if user.password_changed_at else ""


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        def attempt():
            user, message = services.authenticate(db.session, form.username.data.strip(), form.password.data)
            if user:
                set_actor(db.session, Actor.of(user))
            return user, message

        # a failure or a lockout is an outcome, not a refusal: its audit record is committed like a success's
        user, message = unit_of_work(db.session, attempt)
        if user:
            _start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        flash(message, "danger")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    unit_of_work(db.session, lambda: record(db.session, "logout", "session", entity_id=current_user.id,
                                            entity_key=current_user.username))
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    # a wrong current password is an audited failure: the service's refusal keeps its record (keep_audit)
    if form.validate_on_submit() and perform(
            lambda: services.change_password(db.session, current_user, form.current_password.data,
                                             form.new_password.data),
            "Your password was changed.", field=form.new_password):
        session["stamp"] = current_user.password_changed_at.isoformat()
        return redirect(url_for("web.index"))
    return render_template("auth/password.html", form=form, title="Change your password")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    row = services.token_user(db.session, token)
    if row is None:
        return render_template("errors/error.html", status=404,
                               message="This link is invalid, used or expired. "
                                       "Ask an administrator for a new one."), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        set_actor(db.session, Actor.of(row.user))
        if perform(lambda: services.reset_password(db.session, token, form.new_password.data),
                   field=form.new_password):
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash("Your password is set. Please log in.", "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/password.html", form=form, title=f"Set the password of {row.user.username}")
